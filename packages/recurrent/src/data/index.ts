/** Data utilities of the d2l book's chapter 8: text, tokens, vocabulary, LM minibatches. */
export { Random, type ShuffleableArray } from './random.js';
export { preprocessTimeMachine, preprocessLines, type PreprocessOptions } from './preprocess.js';
export { charTokenizer, wordTokenizer, type Tokenizer } from './tokenizer.js';
export { Vocab, UNK_TOKEN, tokenFrequencies, type VocabOptions, type VocabJSON } from './vocab.js';
export {
  randomBatches,
  sequentialBatches,
  batchCount,
  type Batch,
  type BatchOptions,
  type BatchCountOptions,
  type BatchIterator,
  type BatchOrder,
} from './batches.js';
export { loadTimeMachine, type TimeMachine, type TimeMachineOptions } from './timemachine.js';
export { perplexity } from './perplexity.js';
export { timeseriesWindows, type WindowOptions, type Windows } from './windows.js';
