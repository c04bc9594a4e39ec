/** The model API: layers, sequential models, training, generation, files. */
export { embedding, oneHot, rnn, gru, lstm, dense, dropout, layerNorm, treeRnn, childSumTreeLstm, naryTreeLstm, ACTIVATIONS, TREE_LAYER_TYPES } from './layers.js';
export type {
  EmbeddingConfig, OneHotConfig, RnnConfig, GruConfig, LstmConfig, DenseConfig, DropoutConfig, LayerNormConfig, ActivationKind, LayerConfig, RecurrentConfig,
  RecurrentOutput, LstmVariant, TreeLayerConfig, TreeLayerOptions, TreeLayerType,
} from './layers.js';
export { Model, sequential } from './model.js';
export type {
  SequentialOptions, SequenceBatch, TreesBatch, CheckedBatch, Loss, LossConfig, LossKind, Measured, StepResult, TrainStepOptions, PredictOptions, GradientFlow, NonFiniteReport,
} from './model-types.js';
export { ModelState, type LayerStateArrays } from './state.js';
export { sgd, adam, adamw, Optimizer } from './optimizers.js';
export { DEFAULT_OPTIMIZER, DEFAULT_ADAM_LR } from './default-optimizer.js';
export type { SgdOptions, AdamOptions, OptimizerConfig, LearningRateSchedule } from './optimizers.js';
export { fit } from './fit.js';
export { stepDecay, exponentialDecay, cosineWithWarmup, reduceOnPlateau } from './schedules.js';
export type { StepDecayOptions, ExponentialDecayOptions, CosineWarmupOptions, PlateauOptions, PlateauSchedule, NamedSchedule } from './schedules.js';
export type { FitOptions, EarlyStoppingOptions, BpttMode, BatchInfo, EpochInfo, History, BatchSource } from './fit.js';
export { evaluate, type Evaluation, type EvaluateOptions } from './evaluation.js';
export type { ArrayDataset, ShapedArray, Nested } from './dataset.js';
export { sample, generateTokens, generateText, greedyDecode, type GenerateOptions, type Generated, type TokenStream } from './generate.js';
export { beamSearch, beamDecode, type BeamOptions, type SelectableState } from './beam.js';
export { saveModel, loadModel, modelFromBytes, crc32, type ModelConfigJSON } from './serialize.js';
export { storeModel } from './store.js';
export { loadTorch } from './torch.js';
export type { Param } from './param.js';
export { loadKeras, KerasModel, type KerasSource, type KerasValue } from './keras.js';
export { saveTorch, type TorchFolder } from './torch-write.js';
