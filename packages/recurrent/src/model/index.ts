/** The model API: layers, sequential models, training, generation, files. */
export { embedding, oneHot, rnn, gru, lstm, dense } from './layers.js';
export type {
  EmbeddingConfig, OneHotConfig, RnnConfig, GruConfig, LstmConfig, DenseConfig, LayerConfig, RecurrentConfig,
  RecurrentOutput, LstmVariant,
} from './layers.js';
export { Model, sequential } from './model.js';
export type {
  SequentialOptions, SequenceBatch, CheckedBatch, LossKind, Measured, StepResult, TrainStepOptions, PredictOptions, GradientFlow, NonFiniteReport,
} from './model-types.js';
export { ModelState, type LayerStateArrays } from './state.js';
export { sgd, adam, adamw, Optimizer } from './optimizers.js';
export type { SgdOptions, AdamOptions, OptimizerConfig, LearningRateSchedule } from './optimizers.js';
export { fit } from './fit.js';
export type { FitOptions, BpttMode, BatchInfo, EpochInfo, History, BatchSource } from './fit.js';
export { sample, generateTokens, generateText, greedyDecode, type GenerateOptions, type Generated, type TokenStream } from './generate.js';
export { saveModel, loadModel, modelFromBytes, crc32, type ModelConfigJSON } from './serialize.js';
export { loadTorch } from './torch.js';
export type { Param } from './param.js';
export { loadOnnx, OnnxModel, type OnnxValue } from './onnx.js';
export { MIN_ONNX_OPSET } from './onnx-graph.js';
export { saveOnnx, ONNX_EXPORT_OPSET } from './onnx-export.js';
export { loadKeras, KerasModel, type KerasSource, type KerasValue } from './keras.js';
export { saveTorch, type TorchFolder } from './torch-write.js';
