/**
 * Runs one `attention_seq2seq` case of the families fixtures (../shared/fixtures/families: d2l's
 * Bahdanau encoder-decoder, or the scaled dot-product variant) through the public `Seq2Seq`
 * API: a GRU `Seq2Seq` with `attention` and d2l's padding convention (`sourcePad: 1`: the
 * encoder reads the padding, attention stops at it), the fixture's parameters loaded by name.
 * Forward: the loss (`evaluate`), the encoder's outputs and final state (`encoder.predict`),
 * the logits and attention weights of every step (`teacherForced`), and from them the contexts
 * (the weights over the encoder's outputs) and the per-token cross-entropy; gradients: every
 * parameter after one `trainStep`, at the families README's default tier. The decoder's final
 * state (`dec_state`) is not observable through the API; the core's native test checks it
 * (crates/recurrent-core/tests/families_attention.rs).
 */
import { gru, Seq2Seq, sgd } from 'recurrent';

import { compareFamily } from './family-tolerance.js';
import { f32, type Tensor } from './fixture.js';
import { compareScalar, type Comparison, FORWARD, GRADIENT } from './tolerance.js';

export interface FamilyAttentionCase {
  type: 'attention_seq2seq';
  name: string;
  spec: {
    attention: 'additive' | 'dot';
    src_vocab_size: number;
    tgt_vocab_size: number;
    embed_size: number;
    num_hiddens: number;
    num_layers: number;
    attention_size: number;
    batch: number;
    src_len: number;
    tgt_len: number;
    special_tokens: { pad: number; bos: number; eos: number };
  };
  param_names: string[];
  params: Record<string, Tensor>;
  inputs: { src: Tensor; src_valid_len: Tensor; tgt: Tensor; tgt_valid_len: Tensor };
  outputs: Record<'enc_outputs' | 'enc_state' | 'attention_weights' | 'logits' | 'context' | 'token_loss', Tensor>;
  loss: { value: number };
  grads: Record<string, Tensor>;
}

/** Our name of a fixture parameter: the output layer is `fc` here (as the model files name it), `dense` in d2l. */
const ours = (name: string): string => name.replace('decoder.dense.', 'decoder.fc.');

/**
 * Batch-major `[B, T, W]` with the steps past each target's end zeroed. The decoder reads its
 * own input there (d2l feeds `<eos>`, `<pad>`; `Seq2Seq` pads its input with 0): those steps
 * are padding, reach no loss and no gradient, and are left out of the comparison.
 */
function validSteps(x: ArrayLike<number>, batchMajorIn: boolean, t: number, b: number, w: number, lengths: readonly number[]): Float32Array {
  const out = batchMajorIn ? Float32Array.from(x) : batchMajor(Float32Array.from(x), t, b, w);
  for (let j = 0; j < b; j++) out.fill(0, (j * t + lengths[j]!) * w, (j + 1) * t * w);
  return out;
}

/** `[B, T, W]` (batch-major) from time-major `[T, B, W]`. */
function batchMajor(x: Float32Array, t: number, b: number, w: number): Float32Array {
  const out = new Float32Array(x.length);
  for (let i = 0; i < t; i++) for (let j = 0; j < b; j++) out.set(x.subarray((i * b + j) * w, (i * b + j + 1) * w), (j * t + i) * w);
  return out;
}

/** `[B, T, H]` contexts: each step's weights `[T, B, S]` over the encoder's outputs `[S, B, H]` (valid steps). */
function contexts(alpha: Float32Array, enc: Float32Array, T: number, B: number, S: number, H: number, lengths: readonly number[]): Float32Array {
  const out = new Float32Array(B * T * H);
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < lengths[b]!; t++) {
      for (let s = 0; s < S; s++) {
        const a = alpha[(t * B + b) * S + s]!;
        for (let j = 0; j < H; j++) out[(b * T + t) * H + j]! += a * enc[(s * B + b) * H + j]!;
      }
    }
  }
  return out;
}

/** `[B, T]` cross-entropy of each valid target token from time-major logits `[T, B, V]` (float64). */
function tokenLoss(logits: Float32Array, tgt: readonly number[], T: number, B: number, V: number, lengths: readonly number[]): Float64Array {
  const out = new Float64Array(B * T);
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < lengths[b]!; t++) {
      const row = logits.subarray((t * B + b) * V, (t * B + b + 1) * V);
      const max = Math.max(...row);
      const lse = max + Math.log(row.reduce((a, v) => a + Math.exp(v - max), 0));
      out[b * T + t] = lse - row[tgt[b * T + t]!]!;
    }
  }
  return out;
}

export function runFamilyAttention(c: FamilyAttentionCase): { forward: Comparison[]; gradients: Comparison[] } {
  const s = c.spec;
  const [B, S, T, H, L, V] = [s.batch, s.src_len, s.tgt_len, s.num_hiddens, s.num_layers, s.tgt_vocab_size];
  const tgtValid = c.inputs.tgt_valid_len.data;
  const model = new Seq2Seq({
    sourceVocabSize: s.src_vocab_size,
    targetVocabSize: s.tgt_vocab_size,
    bos: s.special_tokens.bos,
    eos: s.special_tokens.eos,
    cell: gru({ units: H, layers: L }),
    embeddingDim: s.embed_size,
    attention: s.attention,
    ...(s.attention === 'additive' && { attentionSize: s.attention_size }),
    sourcePad: s.special_tokens.pad,
  });
  const optimizer = model.optimizer(sgd({ lr: 0.1 }));
  try {
    const names = model.parameters().map((p) => p.name);
    const missing = c.param_names.filter((n) => !names.includes(ours(n)));
    if (missing.length > 0 || names.length !== c.param_names.length) throw new Error(`parameters differ: ours ${names.join(', ')}; missing ${missing.join(', ')}`);
    model.loadStateDict(new Map(c.param_names.map((n) => [ours(n), f32(c.params[n]!)])));
    // Sources: whole rows (`<eos>` then `<pad>`); targets: the tokens before `<eos>`.
    const src = c.inputs.src.data;
    const tgt = c.inputs.tgt.data;
    const pairs = Array.from({ length: B }, (_, b) => ({
      source: src.slice(b * S, (b + 1) * S),
      target: tgt.slice(b * T, b * T + c.inputs.tgt_valid_len.data[b]! - 1),
    }));
    const timeMajor = new Float64Array(S * B);
    pairs.forEach((p, b) => p.source.forEach((id, t) => (timeMajor[t * B + b] = id)));
    const state = model.encoder.zeroState(B);
    const enc = model.encoder.predict(timeMajor, { seqLen: S, batchSize: B, state });
    const encState = state.get(0).h;
    state.dispose();
    const forced = model.teacherForced(pairs);
    const loss = model.evaluate(pairs).loss;
    const forward = [
      compareScalar('loss', loss, c.loss.value, 1e-4),
      compareFamily('enc_outputs', batchMajor(enc, S, B, H), c.outputs.enc_outputs.data, FORWARD),
      compareFamily('enc_state', Float32Array.from(encState.flatMap((h) => [...h])), c.outputs.enc_state.data, FORWARD),
      compareFamily('attention_weights', forced.attention && validSteps(forced.attention, false, T, B, S, tgtValid), validSteps(c.outputs.attention_weights.data, true, T, B, S, tgtValid), FORWARD),
      compareFamily('logits', validSteps(forced.logits, false, T, B, V, tgtValid), validSteps(c.outputs.logits.data, true, T, B, V, tgtValid), FORWARD),
    ];
    forward.push(
      compareFamily('context', contexts(forced.attention!, enc, T, B, S, H, tgtValid), validSteps(c.outputs.context.data, true, T, B, H, tgtValid), FORWARD),
      compareFamily('token_loss', tokenLoss(forced.logits, tgt, T, B, V, tgtValid), validSteps(c.outputs.token_loss.data, true, T, B, 1, tgtValid), FORWARD),
    );
    const step = model.trainStep(pairs, { optimizer });
    forward.push(compareScalar('trainStep loss', step.loss, c.loss.value, 1e-4));
    const grads = new Map(model.parameters().map((p) => [p.name, p.readGrad()]));
    const gradients = c.param_names.map((n) => compareFamily(n, grads.get(ours(n)), c.grads[n]!.data, GRADIENT));
    return { forward, gradients };
  } finally {
    optimizer.dispose();
    model.dispose();
  }
}
