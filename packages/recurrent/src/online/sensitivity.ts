/**
 * The numerics of real-time recurrent learning (Williams & Zipser, 1989) for one vanilla RNN
 * layer, on plain float64 arrays: the cell step, the forward propagation of the sensitivity
 * matrix dh_t/dθ, and its contraction with dL_t/dh_t into a parameter gradient.
 *
 * The cell is PyTorch's `nn.RNNCell`:
 *
 *     z_t = W_ih x_t + b_ih + W_hh h_{t-1} + b_hh,    h_t = f(z_t),  f = tanh or relu
 *
 * The recurrent parameters θ = (W_ih [H, I], W_hh [H, H], b) have one column each in the
 * sensitivity matrix P_t = dh_t/dθ, `[H, n]` row-major with n = H*I + H*H + H, columns in the
 * order W_ih (row-major), W_hh (row-major), b. b_ih and b_hh enter z_t the same way, so they
 * share one block of columns (and have equal gradients). The recursion (the lecture notes'
 * ∂h_t/∂u_ij = (I_i([h_{t-1}]_j) + ∂h_{t-1}/∂u_ij U^T) ⊙ f'(Z_t)^T, for all of θ at once) is
 *
 *     P_t = diag(f'(z_t)) (W_hh P_{t-1} + M_t),   P_0 = 0,
 *
 * where M_t = ∂z_t/∂θ with h_{t-1} held fixed: column (i, j) of W_ih holds x_t[j] in row i,
 * column (i, j) of W_hh holds h_{t-1}[j] in row i, column i of b holds 1 in row i.
 * Then dL_t/dθ = (dL_t/dh_t)^T P_t, available at step t without storing the past.
 *
 * Cost per step: the product W_hh P_{t-1} is H * H * n = H^3 (H + I + 1) multiply-adds, i.e.
 * O(H^4); memory is two [H, n] matrices, O(H^3). BPTT costs O(H^2) per step instead, but
 * stores the whole sequence; RTRL is for small models learning online.
 */

/** The recurrent nonlinearity f. */
export type Nonlinearity = 'tanh' | 'relu';

/** Columns of the sensitivity matrix: H*I (W_ih) + H*H (W_hh) + H (biases). */
export function sensitivityColumns(inputSize: number, hiddenSize: number): number {
  return hiddenSize * inputSize + hiddenSize * hiddenSize + hiddenSize;
}

/**
 * One cell step: writes z_t's derivative f'(z_t) into `deriv` and h_t into `h`.
 * `x` has I values, `hPrev` and the outputs H values.
 */
export function cellStep(
  weightIh: Float64Array,
  weightHh: Float64Array,
  biasIh: Float64Array,
  biasHh: Float64Array,
  x: Float64Array,
  hPrev: Float64Array,
  nonlinearity: Nonlinearity,
  h: Float64Array,
  deriv: Float64Array,
): void {
  const inputSize = x.length;
  const hiddenSize = hPrev.length;
  for (let i = 0; i < hiddenSize; i++) {
    let z = biasIh[i]! + biasHh[i]!;
    const ih = i * inputSize;
    for (let j = 0; j < inputSize; j++) z += weightIh[ih + j]! * x[j]!;
    const hh = i * hiddenSize;
    for (let j = 0; j < hiddenSize; j++) z += weightHh[hh + j]! * hPrev[j]!;
    if (nonlinearity === 'tanh') {
      const t = Math.tanh(z);
      h[i] = t;
      deriv[i] = 1 - t * t;
    } else {
      // PyTorch's relu backward: the derivative at 0 is 0.
      h[i] = z > 0 ? z : 0;
      deriv[i] = z > 0 ? 1 : 0;
    }
  }
}

/** Columns per tile of the product W_hh P_{t-1}: a [H, 256] tile of P_{t-1} stays in cache. */
const COLUMN_TILE = 256;

/**
 * P_t = diag(deriv) (W_hh P_{t-1} + M_t), written into `out` (`[H, n]`, not aliasing `prev`).
 * `prevIsZero` skips the O(H^4) product when P_{t-1} is known to be zero (first step after a
 * state reset).
 */
export function propagateSensitivity(
  prev: Float64Array,
  out: Float64Array,
  weightHh: Float64Array,
  x: Float64Array,
  hPrev: Float64Array,
  deriv: Float64Array,
  prevIsZero: boolean,
): void {
  const inputSize = x.length;
  const hiddenSize = hPrev.length;
  const n = sensitivityColumns(inputSize, hiddenSize);
  out.fill(0, 0, hiddenSize * n);
  if (!prevIsZero) multiplyRecurrent(weightHh, prev, out, hiddenSize, n);
  const hhOffset = hiddenSize * inputSize;
  const biasOffset = hhOffset + hiddenSize * hiddenSize;
  for (let k = 0; k < hiddenSize; k++) {
    const row = k * n;
    const d = deriv[k]!;
    if (d === 0) {
      out.fill(0, row, row + n); // relu off: the whole row of P_t is zero
      continue;
    }
    // M_t: only row k's own blocks are non-zero in row k.
    const ih = row + k * inputSize;
    for (let j = 0; j < inputSize; j++) out[ih + j] = out[ih + j]! + x[j]!;
    const hh = row + hhOffset + k * hiddenSize;
    for (let j = 0; j < hiddenSize; j++) out[hh + j] = out[hh + j]! + hPrev[j]!;
    out[row + biasOffset + k] = out[row + biasOffset + k]! + 1;
    if (d !== 1) for (let c = row, end = row + n; c < end; c++) out[c] = out[c]! * d;
  }
}

/**
 * out += W [H, H] times P [H, n], row-major: the O(H^4) part of a step. Tiled by columns
 * and done four rows of `out` at a time, so each value of P is read from cache once per four
 * rows (the plain row-by-row loop is bound by memory traffic from H = 32 on).
 */
function multiplyRecurrent(w: Float64Array, p: Float64Array, out: Float64Array, hiddenSize: number, n: number): void {
  for (let c0 = 0; c0 < n; c0 += COLUMN_TILE) {
    const c1 = Math.min(n, c0 + COLUMN_TILE);
    let k = 0;
    for (; k + 4 <= hiddenSize; k += 4) {
      const r0 = k * n;
      const r1 = r0 + n;
      const r2 = r1 + n;
      const r3 = r2 + n;
      const w0 = k * hiddenSize;
      for (let m = 0; m < hiddenSize; m++) {
        const a0 = w[w0 + m]!;
        const a1 = w[w0 + hiddenSize + m]!;
        const a2 = w[w0 + 2 * hiddenSize + m]!;
        const a3 = w[w0 + 3 * hiddenSize + m]!;
        const src = m * n;
        for (let c = c0; c < c1; c++) {
          const v = p[src + c]!;
          out[r0 + c] = out[r0 + c]! + a0 * v;
          out[r1 + c] = out[r1 + c]! + a1 * v;
          out[r2 + c] = out[r2 + c]! + a2 * v;
          out[r3 + c] = out[r3 + c]! + a3 * v;
        }
      }
    }
    for (; k < hiddenSize; k++) {
      const r = k * n;
      const w0 = k * hiddenSize;
      for (let m = 0; m < hiddenSize; m++) {
        const a = w[w0 + m]!;
        const src = m * n;
        for (let c = c0; c < c1; c++) out[r + c] = out[r + c]! + a * p[src + c]!;
      }
    }
  }
}

/** grad[c] += Σ_k gh[k] P[k, c]: accumulates (dL_t/dh_t)^T P_t into the `[n]` gradient. */
export function accumulateSensitivityGradient(sensitivity: Float64Array, gh: Float64Array, grad: Float64Array): void {
  const hiddenSize = gh.length;
  const n = grad.length;
  for (let k = 0; k < hiddenSize; k++) {
    const g = gh[k]!;
    if (g === 0) continue;
    const row = k * n;
    for (let c = 0; c < n; c++) grad[c] = grad[c]! + g * sensitivity[row + c]!;
  }
}
