/** Perplexity, the language-model metric of the d2l book (section 8.4). */
import { InvalidArgumentError } from '../errors.js';

/**
 * `exp(meanCrossEntropy)`: the perplexity of a model whose mean cross-entropy per token,
 * in nats (natural log, as the training loss reports it), is `meanCrossEntropy`. 1 is a
 * perfect model; a uniform guess over V tokens scores V. Average the loss over tokens (not
 * over batches of different sizes) before taking the exponential.
 */
export function perplexity(meanCrossEntropy: number): number {
  if (typeof meanCrossEntropy !== 'number') {
    throw new InvalidArgumentError(`perplexity: argument \`meanCrossEntropy\` expected a number, got ${typeof meanCrossEntropy}`);
  }
  return Math.exp(meanCrossEntropy);
}
