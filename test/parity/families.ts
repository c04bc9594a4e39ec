/**
 * The runners of the families fixtures' case types (../shared/fixtures/families), by `type`:
 * parity.test.ts looks a case's type up here after its own types.
 */
import { runFamilyAttention, type FamilyAttentionCase } from './family-attention.js';
import { runFamilyRnn, type FamilyRnnCase } from './family-rnn.js';
import type { Comparison } from './tolerance.js';

type Runner = (c: unknown) => { forward: Comparison[]; gradients: Comparison[] };

export const familyRunners: Readonly<Record<string, Runner>> = {
  leaky_rnn: (c) => runFamilyRnn(c as FamilyRnnCase),
  attention_seq2seq: (c) => runFamilyAttention(c as FamilyAttentionCase),
  skip_rnn: (c) => runFamilyRnn(c as FamilyRnnCase),
};
