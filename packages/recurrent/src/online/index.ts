/** Online training of small vanilla RNNs by real-time recurrent learning (forward-mode gradients). */
export {
  RtrlTrainer,
  rtrlCost,
  RTRL_MAX_HIDDEN_SIZE,
  RTRL_MAX_SENSITIVITY,
  RTRL_PARAMETER_NAMES,
  RTRL_NONLINEARITIES,
  type RtrlTrainerOptions,
  type RtrlParameterName,
  type RtrlParameterValues,
  type RtrlArray,
  type RtrlTarget,
  type RtrlStepResult,
  type RtrlCost,
} from './rtrl.js';
export { RTRL_LOSSES, type RtrlLoss } from './loss.js';
export type { Nonlinearity as RtrlNonlinearity } from './sensitivity.js';
