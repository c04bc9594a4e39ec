"""PyTorch peer of W1, W2, W3 and GEMM (issue 18): the same shapes, timed the way the
TypeScript workloads time ours, at the thread count asked for. Reads one JSON job on stdin:

  {"workload": "w1-train" | "w2-stream" | "w3-encode" | "gemm", "cases": [...], "threads": t,
   "budget_ms": ms, "quick": bool}

where each case is the workload's own description (see bench/workloads/*.ts, which build the
job). Prints one JSON line: {"torch": version, "threads": t, "blas": {"kind", "paths"},
"os_threads": n, "results": [{"case", "median_ms", "min_ms", "samples"}]}.

"blas" is the BLAS this process really uses (Debian's torch links libblas.so.3, which the
system's alternatives, or LD_LIBRARY_PATH, resolve to the reference BLAS, OpenBLAS, BLIS, ...):
"provider" is the file whose sgemm_ torch's calls bind to (the dynamic linker's answer, after a
first GEMM), "kind" what that file is ("reference", "openblas-openmp", "openblas-pthread",
"openblas-serial", "openblas", "blis", "mkl" or "unknown"), "paths" every BLAS file mapped
(/proc/self/maps; more than one where, say, liblapack.so.3 pulls in OpenBLAS beside a
reference libblas.so.3, whose sgemm_ still wins).
"os_threads" is the process's thread count (/proc/self/status) after the last case: with
torch's OpenMP pool and the BLAS's own threads, if any, it shows whether 1 thread was 1.

What one timed call is (the contract of the workload's other engines):
- w1-train: one optimisation step of a char LM (one-hot input, nn.LSTM/GRU/RNN(tanh) of
  hidden H, nn.Linear to the vocabulary, cross-entropy, backward, global-norm clipping with
  clip_grad_norm_, SGD step); >= 20 steps after 3 warm-up steps.
- w2-stream: one batch-1 step of nn.LSTM with carried (h, c), from a Python list of floats in
  to a list out, under no_grad; 2,000 steps each timed alone after 200 warm-up steps.
- w3-encode: the forward of a 2-layer bidirectional nn.LSTM over [T, B, I] under no_grad,
  the output read back as a contiguous tensor; >= 3 calls.
- gemm: torch.mm(a, b) (a.t() for the A^T case) on resident float32 tensors; calls repeated
  to >= 2 ms per sample, >= 10 samples.
"""
import ctypes
import json
import os
import re
import sys
import time

import torch


def mapped_files():
    with open("/proc/self/maps") as f:
        return [p for p in dict.fromkeys(l.split(None, 5)[5].strip() for l in f if len(l.split(None, 5)) == 6) if p.startswith("/")]


class DlInfo(ctypes.Structure):
    _fields_ = [("dli_fname", ctypes.c_char_p), ("dli_fbase", ctypes.c_void_p), ("dli_sname", ctypes.c_char_p), ("dli_saddr", ctypes.c_void_p)]


def sgemm_provider(files):
    """The file torch's sgemm_ calls bind to: the global scope first, then libtorch_cpu's own
    dependencies in load order (the order the dynamic linker binds its references in)."""
    torch_cpu = next((p for p in files if "libtorch_cpu" in os.path.basename(p)), None)
    for handle in [None] + ([torch_cpu] if torch_cpu else []):
        try:
            fn = ctypes.CDLL(handle).sgemm_
        except (OSError, AttributeError):
            continue
        info = DlInfo()
        libc = ctypes.CDLL(None)
        if libc.dladdr(ctypes.cast(fn, ctypes.c_void_p), ctypes.byref(info)) and info.dli_fname:
            return os.path.realpath(info.dli_fname.decode())
    return None


def loaded_blas():
    """The BLAS this process uses, and what it is (see the module's doc)."""
    files = mapped_files()
    paths = [p for p in files if re.search(r"blas|blis|mkl_rt|libmkl", os.path.basename(p))]
    provider = sgemm_provider(files)
    where = provider or ""
    m = re.search(r"openblas-(openmp|pthread|serial)/", where)
    if m:
        kind = "openblas-" + m.group(1)
    elif "openblas" in where:
        kind = "openblas"
    elif "blis" in where:
        kind = "blis"
    elif "mkl" in where:
        kind = "mkl"
    elif re.search(r"/blas/libblas\.so", where):
        kind = "reference"
    else:
        kind = "unknown"
    return {"kind": kind, "provider": provider, "paths": paths}


def os_threads():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("Threads:"):
                return int(line.split()[1])
    return -1


def timed(fn, min_samples, budget_ms, min_sample_ms=0.0):
    """Median / min ms per call of fn: samples of `reps` calls until min_samples and budget."""
    fn()
    t0 = time.perf_counter()
    fn()
    one = (time.perf_counter() - t0) * 1000
    reps = max(1, int(min_sample_ms / one)) if min_sample_ms > 0 and one > 0 else 1
    times = []
    end = time.perf_counter() + budget_ms / 1000
    while len(times) < min_samples or (time.perf_counter() < end and len(times) < 200):
        t0 = time.perf_counter()
        for _ in range(reps):
            fn()
        times.append((time.perf_counter() - t0) * 1000 / reps)
        if len(times) >= min_samples and time.perf_counter() >= end:
            break
    times.sort()
    return times[len(times) // 2], times[0], len(times)


def w1(case, spec):
    v, h, b, t = case["vocab"], case["hidden"], case["batch"], case["seq_len"]
    torch.manual_seed(1)
    cls = {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU, "rnn": torch.nn.RNN}[case["kind"]]
    rnn = cls(v, h)
    head = torch.nn.Linear(h, v)
    params = list(rnn.parameters()) + list(head.parameters())
    opt = torch.optim.SGD(params, lr=case["lr"])
    g = torch.Generator().manual_seed(4242)
    ids = torch.randint(0, v, (t + 1, b), generator=g)
    x = torch.nn.functional.one_hot(ids[:t], v).float()
    y = ids[1:].reshape(-1)

    def step():
        opt.zero_grad()
        out, _ = rnn(x)
        loss = torch.nn.functional.cross_entropy(head(out.reshape(t * b, h)), y)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, case["clip_norm"])
        opt.step()
        return loss.item()

    step()
    step()
    return timed(step, 3 if spec.get("quick") else 20, spec["budget_ms"])


def w2(case, spec):
    i, h = case["input"], case["hidden"]
    torch.manual_seed(case.get("seed", 7100))
    lstm = torch.nn.LSTM(i, h)
    state = (torch.zeros(1, 1, h), torch.zeros(1, 1, h))
    g = torch.Generator().manual_seed(7101)
    xs = torch.rand(64, i, generator=g).tolist()
    k = [0]
    times = []
    with torch.no_grad():
        def step():
            nonlocal state
            x = torch.tensor(xs[k[0] % 64]).view(1, 1, i)
            k[0] += 1
            out, state = lstm(x, state)
            return out.view(-1).tolist()

        for _ in range(20 if spec.get("quick") else 200):
            step()
        for _ in range(200 if spec.get("quick") else 2000):
            t0 = time.perf_counter()
            step()
            times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    return times[len(times) // 2], times[0], len(times)


def w3(case, spec):
    torch.manual_seed(7300)
    lstm = torch.nn.LSTM(case["input"], case["hidden"], num_layers=case["layers"], bidirectional=True)
    g = torch.Generator().manual_seed(7301)
    x = torch.rand(case["seq_len"], case["batch"], case["input"], generator=g) * 2 - 1
    with torch.no_grad():
        def call():
            out, _ = lstm(x)
            return out.contiguous()

        return timed(call, 3, max(spec["budget_ms"], 6000))


def gemm(case, spec):
    g = torch.Generator().manual_seed(1000)
    m, n, k = case["m"], case["n"], case["k"]
    a = torch.rand(k, m, generator=g) if case["trans_a"] else torch.rand(m, k, generator=g)
    b = torch.rand(k, n, generator=g)
    if case["trans_a"]:
        def call():
            return torch.mm(a.t(), b)
    else:
        def call():
            return torch.mm(a, b)
    return timed(call, 10, spec["budget_ms"], min_sample_ms=2.0)


RUNNERS = {"w1-train": w1, "w2-stream": w2, "w3-encode": w3, "gemm": gemm}


def main():
    spec = json.load(sys.stdin)
    torch.set_num_threads(spec["threads"])
    # A first GEMM (sgemm through libblas.so.3), so that a lazily loaded BLAS is mapped too.
    torch.mm(torch.ones(64, 64), torch.ones(64, 64))
    blas = loaded_blas()
    run = RUNNERS[spec["workload"]]
    results = []
    for case in spec["cases"]:
        median_ms, min_ms, samples = run(case, spec)
        results.append({"case": case["id"], "median_ms": median_ms, "min_ms": min_ms, "samples": samples})
    out = {"torch": torch.__version__, "threads": torch.get_num_threads(), "blas": blas, "os_threads": os_threads(), "results": results}
    print(json.dumps(out))


if __name__ == "__main__":
    main()
