"""Train a character LSTM with PyTorch DistributedDataParallel, export it for `recurrent`.

Run with torchrun (gloo backend: CPU, any number of machines; two processes on one machine
stand in for several):

    torchrun --standalone --nproc_per_node 2 examples/ddp/train_ddp.py --out /tmp/ddp-lm

Each process trains on its own random batches of The Time Machine; DDP averages the gradients
after every backward, so every process holds the same weights. Rank 0 then writes to --out:

- meta.json + model.safetensors: the PyTorch interchange folder `loadTorch` reads (README,
  "PyTorch folders"); the safetensors file is written here without the `safetensors` package
  (8-byte header length, JSON header, little-endian float32 data);
- model.onnx: torch.onnx.export (opset 14) with inputs tokens [seq, batch] (int64), h0, c0
  and outputs logits, h_n, c_n, which `loadOnnx` and onnxruntime read;
- expected.json: PyTorch's greedy continuation of the prefix, which examples/ddp/serve.ts
  checks against this library and onnxruntime-node.
"""
import argparse
import json
import os
import re
import struct

import torch
import torch.distributed as dist
from torch import nn
from torch.nn.parallel import DistributedDataParallel as DDP

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
CORPUS = os.path.join(ROOT, "packages", "recurrent", "datasets", "timemachine.txt")


class CharLM(nn.Module):
    def __init__(self, vocab_size, dim, hidden):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, dim)
        self.rnn = nn.LSTM(dim, hidden)
        self.fc = nn.Linear(hidden, vocab_size)

    def forward(self, tokens, h0, c0):
        y, (h, c) = self.rnn(self.embedding(tokens), (h0, c0))
        return self.fc(y), h, c


def corpus_text():
    # The library's char preprocessing: runs of non-letters become one space, lowercase.
    with open(CORPUS, encoding="utf-8") as f:
        return "".join(re.sub("[^A-Za-z]+", " ", line).strip().lower() for line in f)


def save_safetensors(path, tensors):
    header, blobs, offset = {}, [], 0
    for name, t in tensors.items():
        data = t.detach().contiguous().to(torch.float32).numpy().astype("<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    head = json.dumps(header).encode()
    head += b" " * (-len(head) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(head)) + head + b"".join(blobs))


def greedy(model, ids, prefix, length, hidden):
    h = torch.zeros(1, 1, hidden)
    c = torch.zeros(1, 1, hidden)
    with torch.no_grad():
        logits, h, c = model(torch.tensor([[ids.get(ch, 0)] for ch in prefix]), h, c)
        out = []
        nxt = int(logits[-1, 0].argmax())
        for _ in range(length):
            out.append(nxt)
            logits, h, c = model(torch.tensor([[nxt]]), h, c)
            nxt = int(logits[-1, 0].argmax())
    return out


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", default="/tmp/ddp-lm")
    p.add_argument("--steps", type=int, default=300)
    p.add_argument("--seq", type=int, default=32)
    p.add_argument("--batch", type=int, default=32, help="sequences per process and step")
    p.add_argument("--hidden", type=int, default=64)
    p.add_argument("--prefix", default="time traveller ")
    p.add_argument("--length", type=int, default=60)
    a = p.parse_args()

    dist.init_process_group("gloo")
    rank, world = dist.get_rank(), dist.get_world_size()
    torch.manual_seed(0)  # the same initial weights everywhere (DDP also broadcasts rank 0's)
    torch.set_num_threads(1)
    text = corpus_text()
    vocab = ["<unk>"] + sorted(set(text))
    ids = {ch: i for i, ch in enumerate(vocab)}
    data = torch.tensor([ids[ch] for ch in text])
    model = CharLM(len(vocab), 16, a.hidden)
    ddp = DDP(model)
    opt = torch.optim.Adam(ddp.parameters(), lr=1e-2)
    gen = torch.Generator().manual_seed(1000 + rank)  # each process its own batches
    zeros = torch.zeros(1, a.batch, a.hidden)
    for step in range(a.steps):
        starts = torch.randint(0, len(data) - a.seq - 1, (a.batch,), generator=gen)
        x = torch.stack([data[s : s + a.seq] for s in starts], 1)
        y = torch.stack([data[s + 1 : s + a.seq + 1] for s in starts], 1)
        logits, _, _ = ddp(x, zeros, zeros)
        loss = nn.functional.cross_entropy(logits.reshape(-1, len(vocab)), y.reshape(-1))
        opt.zero_grad()
        loss.backward()  # DDP all-reduces (averages) the gradients across the processes here
        nn.utils.clip_grad_norm_(ddp.parameters(), 1.0)
        opt.step()
        if rank == 0 and (step % 50 == 0 or step == a.steps - 1):
            print(f"step {step}: loss {loss.item():.3f} (world size {world})", flush=True)

    if rank == 0:
        os.makedirs(a.out, exist_ok=True)
        model.eval()
        save_safetensors(os.path.join(a.out, "model.safetensors"), model.state_dict())
        meta = {
            "format": "pytorch-state-dict/1",
            "architecture": [
                {"type": "embedding", "name": "embedding", "num_embeddings": len(vocab), "embedding_dim": 16},
                {"type": "lstm", "name": "rnn", "input_size": 16, "hidden_size": a.hidden, "num_layers": 1, "bidirectional": False},
                {"type": "linear", "name": "fc", "in_features": a.hidden, "out_features": len(vocab)},
            ],
            "tokenizer": {"level": "char"},
            "vocab": vocab,
            "training": {"distributed": "DistributedDataParallel, gloo", "world_size": world, "steps": a.steps},
        }
        with open(os.path.join(a.out, "meta.json"), "w") as f:
            json.dump(meta, f, indent=1)
        z = torch.zeros(1, 1, a.hidden)
        torch.onnx.export(
            model, (torch.zeros(3, 1, dtype=torch.int64), z, z), os.path.join(a.out, "model.onnx"),
            input_names=["tokens", "h0", "c0"], output_names=["logits", "h_n", "c_n"], opset_version=14,
            dynamic_axes={"tokens": {0: "seq", 1: "batch"}, "h0": {1: "batch"}, "c0": {1: "batch"}, "logits": {0: "seq", 1: "batch"}},
        )
        out = greedy(model, ids, a.prefix, a.length, a.hidden)
        with open(os.path.join(a.out, "expected.json"), "w") as f:
            json.dump({"prefix": a.prefix, "continuation": "".join(vocab[i] for i in out)}, f)
        print(f"wrote {a.out}: meta.json, model.safetensors, model.onnx, expected.json", flush=True)
    dist.barrier()
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
