// Demo until the model API lands: GEMM throughput of both wasm builds, 1 and 2 threads.
import { dispose, Float32Buffer, gemm, init } from 'recurrent';

async function measure(threads: number, n: number): Promise<number> {
  const a = Float32Buffer.from(Float32Array.from({ length: n * n }, (_, i) => Math.sin(i)));
  const b = Float32Buffer.from(Float32Array.from({ length: n * n }, (_, i) => Math.cos(i)));
  const c = new Float32Buffer(n * n);
  gemm(n, n, n, a, b, c);
  const times: number[] = [];
  for (let r = 0; r < 5; r++) {
    const t = performance.now();
    gemm(n, n, n, a, b, c);
    times.push(performance.now() - t);
  }
  [a, b, c].forEach((x) => x.dispose());
  times.sort((x, y) => x - y);
  return (2 * n ** 3) / (times[2]! * 1e6);
}

for (const threads of [1, 2]) {
  const engine = await init({ threads });
  for (const n of [256, 512]) {
    const gflops = await measure(threads, n);
    console.log(`${engine.build.padEnd(7)} build, ${threads} thread(s), ${n}^3 GEMM: ${gflops.toFixed(2)} GFLOP/s`);
  }
  await dispose();
}
