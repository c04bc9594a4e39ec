/**
 * GEMM on wasm buffers: `C <- alpha * op(A) * op(B) + beta * C`, row-major, with leading
 * dimensions. The same kernel the recurrent layers use; exposed for benchmarks and for
 * users who need a fast matrix product.
 */
import { checkNumber, describe } from './validate/index.js';
import { InvalidArgumentError } from './errors.js';
import { Float32Buffer } from './tensor/buffer.js';

/** Options of {@link gemm}. */
export interface GemmOptions {
  /** Use A transposed: op(A) = A^T, stored k x m. Default `false`. */
  transA?: boolean;
  /** Use B transposed: op(B) = B^T, stored n x k. Default `false`. */
  transB?: boolean;
  /** Scale of the product. Default `1`. */
  alpha?: number;
  /** Scale of the old C; `0` never reads C (NaN in C is overwritten). Default `0`. */
  beta?: number;
  /** Row stride of A as stored. Default: its width (`k`, or `m` when transposed). */
  lda?: number;
  /** Row stride of B as stored. Default: its width (`n`, or `k` when transposed). */
  ldb?: number;
  /** Row stride of C. Default `n`. */
  ldc?: number;
  /** First element of A in its buffer. Default `0`. */
  aOffset?: number;
  /** First element of B in its buffer. Default `0`. */
  bOffset?: number;
  /** First element of C in its buffer. Default `0`. */
  cOffset?: number;
  /** Use the naive scalar reference kernel instead of the fast one (for tests). Default `false`. */
  reference?: boolean;
}

function dim(name: string, v: number): number {
  if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) {
    throw new InvalidArgumentError(`gemm: argument \`${name}\` expected an integer >= 0, got ${String(v)}`);
  }
  return v;
}

/**
 * `C <- alpha * op(A) * op(B) + beta * C` where op(A) is `m x k`, op(B) is `k x n` and C is
 * `m x n`. Throws {@link InvalidArgumentError} (and leaves C untouched) when a buffer is too
 * small for its shape and leading dimension, or C is the same buffer as A or B.
 */
export function gemm(
  m: number,
  n: number,
  k: number,
  a: Float32Buffer,
  b: Float32Buffer,
  c: Float32Buffer,
  options: GemmOptions = {},
): void {
  if (typeof options !== 'object' || options === null) {
    throw new InvalidArgumentError(`gemm: argument \`options\` expected an options object, got ${describe(options)}`);
  }
  for (const flag of ['transA', 'transB', 'reference'] as const) {
    if (options[flag] !== undefined && typeof options[flag] !== 'boolean') {
      throw new InvalidArgumentError(`gemm: argument \`${flag}\` expected a boolean, got ${describe(options[flag])}`);
    }
  }
  const transA = options.transA ?? false;
  const transB = options.transB ?? false;
  dim('m', m);
  dim('n', n);
  dim('k', k);
  const lda = dim('lda', options.lda ?? (transA ? m : k));
  const ldb = dim('ldb', options.ldb ?? (transB ? k : n));
  const ldc = dim('ldc', options.ldc ?? n);
  const alpha = checkNumber('gemm', 'alpha', options.alpha ?? 1, -3.4e38, 3.4e38);
  const beta = checkNumber('gemm', 'beta', options.beta ?? 0, -3.4e38, 3.4e38);
  if (!(a instanceof Float32Buffer) || !(b instanceof Float32Buffer) || !(c instanceof Float32Buffer)) {
    throw new InvalidArgumentError('gemm: arguments `a`, `b` and `c` expected Float32Buffer instances');
  }
  const [ha, hb, hc] = [a.liveHandle(), b.liveHandle(), c.liveHandle()];
  if (options.reference) {
    if (options.aOffset || options.bOffset || options.cOffset) {
      throw new InvalidArgumentError('gemm: the reference kernel takes no offsets');
    }
    c.engine.call((w) => w.gemm_reference(transA, transB, m, n, k, alpha, ha, lda, hb, ldb, beta, hc, ldc));
    return;
  }
  const aOffset = dim('aOffset', options.aOffset ?? 0);
  const bOffset = dim('bOffset', options.bOffset ?? 0);
  const cOffset = dim('cOffset', options.cOffset ?? 0);
  c.engine.call((w) =>
    w.gemm(transA, transB, m, n, k, alpha, ha, aOffset, lda, hb, bOffset, ldb, beta, hc, cOffset, ldc),
  );
}
