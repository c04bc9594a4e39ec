/**
 * Serves the model examples/ddp/train_ddp.py trained with DistributedDataParallel: the
 * PyTorch folder through `loadTorch`, the ONNX file through `loadOnnx` and through
 * onnxruntime-node, each generating greedily from the same prefix. Exits 1 unless all three
 * give PyTorch's own continuation (expected.json).
 *
 *   node --import tsx examples/ddp/serve.ts /tmp/ddp-lm
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

import * as ort from 'onnxruntime-node';
import { dispose, init, loadTorch } from 'recurrent';
import { loadOnnx } from 'recurrent/onnx';

const folder = process.argv[2] ?? '/tmp/ddp-lm';
const expected = JSON.parse(await readFile(join(folder, 'expected.json'), 'utf8')) as { prefix: string; continuation: string };
const length = expected.continuation.length;

await init();
const torch = await loadTorch(folder);
const fromFolder = torch.generate(expected.prefix, { length, greedy: true }) as string;

const onnx = await loadOnnx(join(folder, 'model.onnx'));
onnx.model.vocab = torch.vocab; // ONNX files carry no vocabulary: the folder's
const fromOnnx = onnx.model.generate(expected.prefix, { length, greedy: true }) as string;

// onnxruntime-node on the same file: one token per run, the state carried by hand.
const vocab = torch.vocab!;
const session = await ort.InferenceSession.create(join(folder, 'model.onnx'));
const H = onnx.model.recurrent[0]!.hiddenSize;
let h = new ort.Tensor('float32', new Float32Array(H), [1, 1, H]);
let c = new ort.Tensor('float32', new Float32Array(H), [1, 1, H]);
let last: Float32Array = new Float32Array(0);
const feed = async (id: number) => {
  const r = await session.run({ tokens: new ort.Tensor('int64', BigInt64Array.from([BigInt(id)]), [1, 1]), h0: h, c0: c });
  [h, c, last] = [r['h_n'] as typeof h, r['c_n'] as typeof c, r['logits']!.data as Float32Array];
};
for (const ch of expected.prefix) await feed(vocab.tokens.indexOf(ch) < 0 ? 0 : vocab.tokens.indexOf(ch));
let fromOrt = '';
for (let i = 0; i < length; i++) {
  const next = last.indexOf(Math.max(...last)); // greedy: the first largest score
  fromOrt += vocab.tokens[next];
  await feed(next);
}

const rows: [string, string][] = [['PyTorch (train_ddp.py)', expected.continuation], ['loadTorch', fromFolder], ['loadOnnx', fromOnnx], ['onnxruntime-node', fromOrt]];
for (const [who, text] of rows) console.log(`${who.padEnd(24)} ${JSON.stringify(expected.prefix + text)}`);
const same = rows.every(([, text]) => text === expected.continuation);
console.log(same ? 'all four agree' : 'MISMATCH');
torch.dispose();
onnx.dispose();
await session.release();
dispose();
process.exitCode = same ? 0 : 1;
