/**
 * Option names people bring from Keras / TensorFlow.js and PyTorch, and what to write here
 * instead: an unknown option is an error (plain JavaScript has no type checker to catch it),
 * and the error says this. The README's "Coming from Keras / TensorFlow.js" and "Coming from
 * PyTorch" tables say the same for people reading first.
 */
export const OTHER_NAMES: Readonly<Record<string, string>> = {
  returnSequences: "`output: 'sequence'` (or 'last' for Keras' default)",
  return_sequences: "`output: 'sequence'`",
  returnState: '`model.predict` with a `state` (it receives the final state)',
  hiddenSize: '`units`',
  hidden_size: '`units`',
  numLayers: '`layers`',
  num_layers: '`layers`',
  batchFirst: 'time-major inputs: `x` is `[T, B, F]` flat (PyTorch `batch_first=False`)',
  batch_first: 'time-major inputs: `x` is `[T, B, F]` flat (PyTorch `batch_first=False`)',
  goBackwards: '`bidirectional: true`',
  inputDim: '`vocabSize`',
  outputDim: '`dim`',
  num_embeddings: '`vocabSize`',
  embedding_dim: '`dim`',
  out_features: '`units`',
  useBias: '`bias` (dense and recurrent layers)',
  use_bias: '`bias` (dense and recurrent layers)',
  unitForgetBias: '`forgetBias: 1`',
  proj_size: '`projSize` (lstm layers)',
  p: '`rate`',
  recurrent_dropout: '`recurrentDropout` (variational: the same mask at every step)',
  input_dropout: '`inputDropout` (Keras\' `dropout` on a recurrent layer: the inputs, the same mask at every step)',
  nonlinearity: "`nonlinearity` on `rnn` only ('tanh' or 'relu')",
  normalizedShape: '(layerNorm normalises the whole feature row)',
};
