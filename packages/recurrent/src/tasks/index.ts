/** Task helpers beyond language models: sequence classification, tagging, encoder-decoder. */
export {
  padSequences,
  classificationBatches,
  taggingBatches,
  predictClasses,
  predictTags,
  type ClassificationExample,
  type TaggingExample,
  type TaskBatchOptions,
  type PaddedInputs,
} from './sequences.js';
export { Seq2Seq, type Seq2SeqOptions, type Seq2SeqPair, type Seq2SeqFitOptions, type TranslateOptions, type Translations, type TeacherForced } from './seq2seq.js';
export type { AttentionKind } from '../model/attention-decoder.js';
export { saveSeq2Seq, loadSeq2Seq, seq2seqFromBytes } from './seq2seq-file.js';
