// Recursive networks over trees: evaluate arithmetic expressions modulo 10.
//
// Each expression is a binary tree (depth up to 8): leaves are digits, internal nodes are
// operators (+, -, *) whose input is the operator and whose children are the ordered operands;
// the label of every node is its value mod 10. An N-ary Tree-LSTM (N = 2: left and right
// operands have their own matrices) composes the value along the tree, level-batched in the
// core; it is trained with the label of the root only. A sequential LSTM with the same number of
// parameters reads the same tokens in prefix order (`* 3 + 4 5`, which is unambiguous) and is
// trained on the same root labels. Both are tried on held-out expressions.
//
//     node --import tsx examples/tree-arith.ts
import {
  adam,
  classificationBatches,
  dense,
  embedding,
  fit,
  init,
  lstm,
  Optimizer,
  predictClasses,
  Random,
  sequential,
  type Tree,
  TreeClassifier,
  Vocab,
} from 'recurrent';

await init({ threads: 1 });

const OPS = ['+', '-', '*'] as const;
const rng = new Random(7);

/** A random expression of depth <= maxDepth, with every node labelled by its value mod 10. */
function expression(maxDepth: number, depth = 1): Tree {
  if (depth === maxDepth || (depth > 1 && rng.nextFloat() < 0.35)) {
    const d = rng.nextInt(10);
    return { label: d, word: String(d), children: [] };
  }
  const op = OPS[rng.nextInt(3)]!;
  const a = expression(maxDepth, depth + 1);
  const b = expression(maxDepth, depth + 1);
  const value = op === '+' ? a.label! + b.label! : op === '-' ? a.label! - b.label! + 10 : a.label! * b.label!;
  return { label: value % 10, word: op, children: [a, b] };
}

/** The tokens of a tree in prefix order. */
function prefix(t: Tree): string[] {
  const out: string[] = [];
  const stack = [t];
  while (stack.length > 0) {
    const n = stack.pop()!;
    out.push(n.word!);
    for (let k = n.children.length - 1; k >= 0; k--) stack.push(n.children[k]!);
  }
  return out;
}

const train = Array.from({ length: 20000 }, () => expression(1 + rng.nextInt(8)));
const heldOut = Array.from({ length: 1000 }, () => expression(1 + rng.nextInt(8)));
const vocab = new Vocab([[...'0123456789'], [...OPS]]);
const nodes = (ts: Tree[]) => ts.reduce((n, t) => n + prefix(t).length, 0);
console.log(`${train.length} training and ${heldOut.length} held-out expressions (depth 1-8; ${(nodes(train) / train.length).toFixed(1)} nodes on average)`);
const majority = Math.max(...Array.from({ length: 10 }, (_, c) => heldOut.filter((t) => t.label === c).length)) / heldOut.length;
console.log(`majority class: ${majority.toFixed(3)} of the held-out roots`);

// The Tree-LSTM: embedding 16, hidden 48.
const tree = new TreeClassifier({ cell: 'naryTreeLstm', vocab, embeddingSize: 16, hiddenSize: 48, classes: 10, seed: 1 });
const treeParams = tree.parameters().reduce((n, p) => n + p.shape.reduce((a, b) => a * b, 1), 0);

// The sequential LSTM with as many parameters: embedding 16, the hidden size that matches best.
const lstmParams = (h: number) => vocab.size * 16 + 4 * h * (16 + h) + 8 * h + 10 * h + 10;
let H = 1;
while (Math.abs(lstmParams(H + 1) - treeParams) < Math.abs(lstmParams(H) - treeParams)) H++;
const seq = sequential([embedding({ vocabSize: vocab.size, dim: 16 }), lstm({ units: H, output: 'last' }), dense({ units: 10 })], { seed: 1 });
const seqParams = seq.parameters().reduce((n, p) => n + p.size, 0);
console.log(`parameters: Tree-LSTM ${treeParams}, sequential LSTM (hidden ${H}) ${seqParams}`);

const EPOCHS = 10;
const started = performance.now();
const optimizer = new Optimizer(adam({ lr: 0.005 }), tree.groups(), tree.engine);
const order = Array.from({ length: train.length }, (_, i) => i);
for (let epoch = 0; epoch < EPOCHS; epoch++) {
  rng.shuffle(order);
  let loss = 0;
  let steps = 0;
  for (let i = 0; i < order.length; i += 32) {
    loss += tree.trainStep(order.slice(i, i + 32).map((k) => train[k]!), { optimizer, clipNorm: 5 }).loss;
    steps++;
  }
  if (epoch % 3 === 0 || epoch === EPOCHS - 1) console.log(`Tree-LSTM epoch ${String(epoch + 1).padStart(2)}  loss ${(loss / steps).toFixed(4)}  held-out accuracy ${tree.accuracy(heldOut).toFixed(3)}`);
}
const treeSeconds = (performance.now() - started) / 1000;

const encode = (t: Tree) => Array.from(vocab.encode(prefix(t)));
const seqStarted = performance.now();
await fit(seq, classificationBatches(train.map((t) => ({ input: encode(t), label: t.label! })), { batchSize: 32, seed: 1 }), {
  epochs: EPOCHS,
  optimizer: adam({ lr: 0.005 }),
  clipNorm: 5,
  onEpochEnd: (e) => {
    if (e.epoch % 3 === 0 || e.epoch === EPOCHS - 1) {
      const acc = predictClasses(seq, heldOut.map(encode)).filter((c, i) => c === heldOut[i]!.label).length / heldOut.length;
      console.log(`LSTM      epoch ${String(e.epoch + 1).padStart(2)}  loss ${e.loss.toFixed(4)}  held-out accuracy ${acc.toFixed(3)}`);
    }
  },
});
const seqSeconds = (performance.now() - seqStarted) / 1000;

const treeAcc = tree.accuracy(heldOut);
const seqAcc = predictClasses(seq, heldOut.map(encode)).filter((c, i) => c === heldOut[i]!.label).length / heldOut.length;
console.log(`held-out accuracy at the root: Tree-LSTM ${treeAcc.toFixed(3)} (${treeSeconds.toFixed(1)} s), sequential LSTM ${seqAcc.toFixed(3)} (${seqSeconds.toFixed(1)} s), majority ${majority.toFixed(3)}`);
optimizer.dispose();
tree.dispose();
seq.dispose();
