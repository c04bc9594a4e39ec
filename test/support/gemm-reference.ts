/** Plain-JS GEMM in float64, the reference the wasm kernels are checked against. */
export interface GemmCase {
  transA: boolean;
  transB: boolean;
  m: number;
  n: number;
  k: number;
  alpha: number;
  beta: number;
  lda: number;
  ldb: number;
  ldc: number;
}

export function gemmReference(c: GemmCase, a: Float32Array, b: Float32Array, cIn: Float32Array): Float64Array {
  const out = Float64Array.from(cIn);
  for (let i = 0; i < c.m; i++) {
    for (let j = 0; j < c.n; j++) {
      let acc = 0;
      for (let p = 0; p < c.k; p++) {
        const av = c.transA ? a[p * c.lda + i]! : a[i * c.lda + p]!;
        const bv = c.transB ? b[j * c.ldb + p]! : b[p * c.ldb + j]!;
        acc += av * bv;
      }
      const idx = i * c.ldc + j;
      out[idx] = c.beta === 0 ? c.alpha * acc : c.alpha * acc + c.beta * cIn[idx]!;
    }
  }
  return out;
}

/** Elements a row-major operand needs: (rows - 1) * ld + cols, or 0 when empty. */
export function storage(rows: number, cols: number, ld: number): number {
  return rows === 0 || cols === 0 ? 0 : (rows - 1) * ld + cols;
}
