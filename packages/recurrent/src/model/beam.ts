/**
 * Beam search over a {@link TokenStream} whose state can follow a hypothesis's parent
 * (`selectRows`): a language model after a prefix, or the decoder of an encoder-decoder. Each
 * of B searches keeps `beamWidth` (K) live hypotheses as K rows of one B*K-row state, so one
 * step is one `stream.step` for every search. Hypotheses are ranked by their summed log
 * probability; a finished one (it produced `end`, or reached `maxLength`) is ranked by GNMT's
 * length normalisation (Wu et al. 2016): score / lp, lp = ((5 + |Y|) / 6)^alpha, |Y| counting
 * its tokens and `end`. A search stops when it has K finished hypotheses or at `maxLength`;
 * the best finished one is returned (without `end`). Width 1 is greedy decoding: the arg-max,
 * first on ties, fed back until `end` or `maxLength`.
 */
import { InvalidArgumentError } from '../errors.js';
import { checkInt, checkNumber, checkObject, checkTokenIds, describe } from '../validate/index.js';
import type { TokenStream } from './generate.js';

/** Options of {@link beamDecode}. */
export interface BeamOptions {
  /** K, hypotheses kept per search. */
  beamWidth: number;
  /** Tokens at most per result (`end` not counted). */
  maxLength: number;
  /** The end token: a hypothesis that produces it is finished. Default: none. */
  end?: number | undefined;
  /** GNMT's length-normalisation exponent alpha (0: raw log probability). Default `0`. */
  lengthPenalty?: number;
}

/** A state a beam can reorder: sequence b takes sequence rows[b]'s values. */
export interface SelectableState {
  dispose(): void;
  selectRows(rows: readonly number[]): void;
}

interface Hyp {
  tokens: number[];
  logp: number;
  /** The row of the state this hypothesis continues from (its parent's row). */
  row: number;
}

/** log-softmax of one row of scores, in float64. */
function logSoftmax(scores: Float32Array, from: number, V: number): Float64Array {
  let max = -Infinity;
  for (let v = 0; v < V; v++) max = Math.max(max, scores[from + v]!);
  let sum = 0;
  for (let v = 0; v < V; v++) sum += Math.exp(scores[from + v]! - max);
  const lse = max + Math.log(sum);
  const out = new Float64Array(V);
  for (let v = 0; v < V; v++) out[v] = scores[from + v]! - lse;
  return out;
}

/**
 * Beam search for B searches at once. `state` has B*K rows (search b's K rows are b*K ..
 * b*K+K-1, all equal: its starting state) and `first` is the token each search reads first
 * (B ids). Returns the best finished hypothesis of each search (without `end`).
 */
export function beamDecode<S extends SelectableState>(stream: TokenStream<S>, state: S, first: readonly number[], options: BeamOptions): number[][] {
  const K = options.beamWidth;
  const B = first.length;
  const V = stream.outputSize;
  const alpha = options.lengthPenalty ?? 0;
  const norm = (tokens: number, logp: number) => logp / Math.pow((5 + tokens) / 6, alpha);
  // Live hypotheses per search; at first only row b*K is live (the K rows are equal).
  let live: Hyp[][] = Array.from({ length: B }, (_, b) => [{ tokens: [], logp: 0, row: b * K }]);
  const finished: { tokens: number[]; score: number }[][] = Array.from({ length: B }, () => []);
  let scores = stream.step(first.flatMap((id) => new Array<number>(K).fill(id)), state);
  for (let t = 0; live.some((l) => l.length > 0); t++) {
    const atMax = t + 1 >= options.maxLength;
    live = live.map((beams, b) => {
      if (beams.length === 0) return beams;
      // Every token after every live hypothesis, best first (ties: lower row, then lower id).
      const cands: { k: number; v: number; logp: number }[] = [];
      beams.forEach((h, k) => {
        const lp = logSoftmax(scores, (b * K + k) * V, V);
        for (let v = 0; v < V; v++) cands.push({ k, v, logp: h.logp + lp[v]! });
      });
      cands.sort((x, y) => y.logp - x.logp || x.k - y.k || x.v - y.v);
      const kept: Hyp[] = [];
      const fin = finished[b]!;
      for (const c of cands) {
        if (kept.length === K || fin.length >= K) break;
        const parent = beams[c.k]!;
        if (c.v === options.end) fin.push({ tokens: parent.tokens, score: norm(parent.tokens.length + 1, c.logp) });
        else kept.push({ tokens: [...parent.tokens, c.v], logp: c.logp, row: b * K + c.k });
      }
      if (atMax) for (const h of kept) fin.push({ tokens: h.tokens, score: norm(h.tokens.length, h.logp) });
      return fin.length >= K || atMax ? [] : kept;
    });
    if (live.every((l) => l.length === 0)) break;
    // Row b*K+k of the next state continues kept hypothesis k (filler rows copy row b*K).
    const parents: number[] = [];
    const tokens: number[] = [];
    live.forEach((kept, b) => {
      for (let k = 0; k < K; k++) {
        const h = kept[k];
        parents.push(h ? h.row : b * K);
        tokens.push(h ? h.tokens[h.tokens.length - 1]! : first[b]!);
      }
    });
    state.selectRows(parents);
    live = live.map((kept, b) => kept.map((h, k) => ({ ...h, row: b * K + k })));
    scores = stream.step(tokens, state);
  }
  return finished.map((f) => {
    let best = f[0];
    for (const x of f) if (best === undefined || x.score > best.score) best = x;
    return best ? best.tokens : [];
  });
}

/**
 * Beam search after a prefix for a language model (any {@link TokenStream} with a selectable
 * state, e.g. a `Model` with a token input and a dense output over the same tokens): the K
 * hypotheses start from the state after `prefix`; returns the best continuation (without
 * `end`). `beamWidth: 1` is greedy generation.
 */
export function beamSearch<S extends SelectableState>(stream: TokenStream<S>, prefix: ArrayLike<number>, options: BeamOptions): number[] {
  const op = 'beamSearch';
  checkObject(op, 'options', options, '{ beamWidth, maxLength, end?, lengthPenalty? }');
  const V = stream.outputSize;
  const K = checkInt(op, 'beamWidth', options.beamWidth, 1, 1024);
  const maxLength = checkInt(op, 'maxLength', options.maxLength, 1, 1e6);
  const end = options.end === undefined ? undefined : checkInt(op, 'end', options.end, 0, V - 1);
  const lengthPenalty = checkNumber(op, 'lengthPenalty', options.lengthPenalty ?? 0, 0, 10);
  if (typeof prefix !== 'object' || prefix === null || typeof prefix.length !== 'number' || prefix.length === 0) {
    throw new InvalidArgumentError(`${op}: argument \`prefix\` expected a non-empty array of token ids, got ${describe(prefix)}`);
  }
  const ids = checkTokenIds(`${op}: prefix`, prefix as ArrayLike<unknown>, V);
  const state = stream.zeroState(K);
  try {
    for (let i = 0; i + 1 < ids.length; i++) stream.step(new Array<number>(K).fill(ids[i]!), state);
    return beamDecode(stream, state, [ids[ids.length - 1]!], { beamWidth: K, maxLength, end, lengthPenalty })[0]!;
  } finally {
    state.dispose();
  }
}
