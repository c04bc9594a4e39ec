/** One SGD step of the d2l char LSTM language model (`char_lm_step`), through the model API. */
import type { CharLmCase } from './fixture.js';
import type { Comparison } from './tolerance.js';

export function runCharLmStep(_c: CharLmCase): { forward: Comparison[]; gradients: Comparison[] } {
  throw new Error('char_lm_step needs the model API (dense + softmax cross-entropy + SGD), not built yet');
}
