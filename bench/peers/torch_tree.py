"""PyTorch peer of the `trees` workload: a Child-Sum Tree-LSTM (Tai et al. 2015) trained node
at a time, as it is usually written by hand (a recursive forward over each tree, the children's
states stacked per node), on the forest the workload sends as JSON on stdin:

  {"offsets": [...], "children": [...], "x_rows": [...], "roots": [...], "input_size": I,
   "hidden_size": H, "num_inputs": n, "threads": t, "budget_ms": ms, "seed": s}

One timed step = forward over every tree + loss sum(h * gh) + sum(c * gc) over all nodes +
backward + SGD update (lr 0.01), the same contract as ours. Prints one JSON line:
{"median_ms", "min_ms", "samples", "torch", "threads"}.
"""
import json
import sys
import time

import torch


class ChildSumTreeLSTM(torch.nn.Module):
    def __init__(self, i, h):
        super().__init__()
        self.h = h
        self.ioux = torch.nn.Linear(i, 3 * h)
        self.iouh = torch.nn.Linear(h, 3 * h, bias=False)
        self.fx = torch.nn.Linear(i, h)
        self.fh = torch.nn.Linear(h, h, bias=False)

    def node(self, x, child_h, child_c):
        h_sum = child_h.sum(dim=0, keepdim=True)
        iou = self.ioux(x) + self.iouh(h_sum)
        i, o, u = torch.split(iou, self.h, dim=1)
        i, o, u = torch.sigmoid(i), torch.sigmoid(o), torch.tanh(u)
        f = torch.sigmoid(self.fh(child_h) + self.fx(x).repeat(len(child_h), 1))
        c = i * u + torch.sum(f * child_c, dim=0, keepdim=True)
        return o * torch.tanh(c), c


def main():
    spec = json.load(sys.stdin)
    torch.set_num_threads(spec["threads"])
    torch.manual_seed(spec["seed"])
    I, H = spec["input_size"], spec["hidden_size"]
    offsets, children, rows = spec["offsets"], spec["children"], spec["x_rows"]
    n = len(rows)
    model = ChildSumTreeLSTM(I, H)
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    x = torch.randn(spec["num_inputs"], I)
    zero_x = torch.zeros(1, I)
    gh = torch.randn(n, H) * 0.01
    gc = torch.randn(n, H) * 0.01
    kids = [children[offsets[j]:offsets[j + 1]] for j in range(n)]

    def step():
        opt.zero_grad()
        hs, cs = [None] * n, [None] * n

        def visit(j):
            for k in kids[j]:
                visit(k)
            if kids[j]:
                ch = torch.cat([hs[k] for k in kids[j]])
                cc = torch.cat([cs[k] for k in kids[j]])
            else:
                ch = torch.zeros(1, H)
                cc = torch.zeros(1, H)
            xj = x[rows[j]:rows[j] + 1] if rows[j] >= 0 else zero_x
            hs[j], cs[j] = model.node(xj, ch, cc)

        for r in spec["roots"]:
            visit(r)
        loss = (torch.cat(hs) * gh).sum() + (torch.cat(cs) * gc).sum()
        loss.backward()
        opt.step()
        return loss.item()

    sys.setrecursionlimit(10000)
    step()
    times = []
    end = time.perf_counter() + spec["budget_ms"] / 1000
    while time.perf_counter() < end or len(times) < 3:
        t0 = time.perf_counter()
        step()
        times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    print(json.dumps({"median_ms": times[len(times) // 2], "min_ms": times[0], "samples": len(times), "torch": torch.__version__, "threads": torch.get_num_threads()}))


if __name__ == "__main__":
    main()
