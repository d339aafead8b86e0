#!/usr/bin/env python3
"""The papers' way of training a population of parity MLPs in PyTorch, timed for a side-by-side benchmark.

Paper A's sparse-parity model (PROTOCOL.md §1-2): inputs x in {±1}^n (n = --parity-n, 30), label = the
parity of k = --parity-k (3) relevant bits, m = --parity-m (1000) training points per model; an MLP
n → H (exact, erf GELU) → 2 with biases b1, b2. Weights N(0, 1/fan_in), biases N(0, (1e-6)²).

One tensor per parameter with a leading model axis, einsum for the layers, full-batch steps over the m
training points (loss = the sum over models of each model's mean cross-entropy, so every model gets its own
gradient), hand-written AdamW (decay W *= 1 - lr·λ before the Adam update, Paper A, weights W1 and W2 only,
not the biases) and the norm clamp (‖W‖ over W1 and W2) from the first step, so the clamp's cost is in every
timed step as in `normclock bench`. Prints one JSON object, the same as mlp_population.py's: model-steps/s
for each thread count tried, the best of them, and the machine's sgemm GFLOP/s through the same BLAS torch
uses. --device cuda / --tf32 behave as in mlp_population.py. --p, --width and --train-frac are accepted and
ignored, so a caller can pass every script the same flags.

Written after Paper A's released code (src/run_parity.py), vectorised over the model axis the same way.
Where that code is more specific than the protocol's summary it is followed here:
  * the relevant bits are the first k bits of x, the same for every model (the code's `rel = arange(k)`),
    not a subset drawn per model; the inputs are uniform and independent, so this loses nothing;
  * the label is 1 where the product of the relevant bits is +1, else 0;
  * each model draws its own m training inputs;
  * the loss is log_softmax, the true class's log-probability gathered, mean over each model's points,
    summed over models; lr 1e-3; the clamp target is Paper A's free-run parity norm at grokking, 20.6
    (it does not change the work a step does).
The clamp divides by ‖W‖ exactly as mlp_population.py does (the papers' code adds 1e-30 to ‖W‖).
"""
import argparse
import json
import math
import sys
import time

import torch
import torch.nn.functional as F

WEIGHTS = ("W1", "W2")


def population(n, k, m, hidden, models, seed=0, device="cpu"):
    g = torch.Generator().manual_seed(seed)  # drawn on the CPU, so every device starts from the same numbers
    x = torch.randint(0, 2, (models, m, n), generator=g).float() * 2 - 1            # [B, m, n] in {±1}
    y = (x[:, :, :k].prod(dim=2) > 0).long()                                          # parity of the first k bits
    params = {
        "W1": torch.randn(models, n, hidden, generator=g) / math.sqrt(n),
        "b1": torch.randn(models, hidden, generator=g) * 1e-6,
        "W2": torch.randn(models, hidden, 2, generator=g) / math.sqrt(hidden),
        "b2": torch.randn(models, 2, generator=g) * 1e-6,
    }
    params = {key: t.to(device) for key, t in params.items()}
    for t in params.values():
        t.requires_grad_(True)
    return params, x.to(device), y.to(device)


def per_model_loss(params, x, y):
    W1, b1, W2, b2 = (params[key] for key in ("W1", "b1", "W2", "b2"))
    h = F.gelu(torch.einsum("bmi,bih->bmh", x, W1) + b1[:, None, :])                # exact (erf) GELU
    z = torch.einsum("bmh,bhc->bmc", h, W2) + b2[:, None, :]                          # [B, m, 2]
    logp = F.log_softmax(z, dim=-1)
    return -logp.gather(-1, y.unsqueeze(-1)).squeeze(-1).mean(dim=1)                  # [B]


def forward_loss(params, x, y):
    # mean over each model's points, summed over models: every model gets its own gradient
    return per_model_loss(params, x, y).sum()


def train_steps(params, x, y, state, steps, lr=1e-3, wd=1.0, target=20.6, clamp_from=1):
    b1, b2, eps = 0.9, 0.999, 1e-8
    weights = WEIGHTS
    for _ in range(steps):
        loss = forward_loss(params, x, y)
        for t in params.values():
            t.grad = None
        loss.backward()
        state["t"] += 1
        t_ = state["t"]
        with torch.no_grad():
            for key, w in params.items():
                g = w.grad
                mo, v = state["m"][key], state["v"][key]
                if key in weights:
                    w.mul_(1 - lr * wd)
                mo.mul_(b1).add_(g, alpha=1 - b1)
                v.mul_(b2).addcmul_(g, g, value=1 - b2)
                mhat = mo / (1 - b1 ** t_)
                vhat = v / (1 - b2 ** t_)
                w.sub_(lr * mhat / (vhat.sqrt() + eps))
            if t_ >= clamp_from:
                norm = torch.sqrt(sum((params[key] ** 2).sum(dim=tuple(range(1, params[key].dim()))) for key in weights))  # [B]
                for key in weights:
                    params[key].mul_((target / norm).view(-1, *([1] * (params[key].dim() - 1))))


def sync(device):
    # GPU work is queued asynchronously: the clock may only be read once the queue has drained.
    if device == "cuda":
        torch.cuda.synchronize()


def time_population(n, k, m, hidden, models, threads, seconds, warmup, device="cpu"):
    torch.set_num_threads(threads)
    params, x, y = population(n, k, m, hidden, models, device=device)
    state = {"t": 0, "m": {key: torch.zeros_like(v) for key, v in params.items()},
             "v": {key: torch.zeros_like(v) for key, v in params.items()}}
    train_steps(params, x, y, state, warmup)
    sync(device)
    steps, start = 0, time.perf_counter()
    while True:
        train_steps(params, x, y, state, 1)
        steps += 1
        if time.perf_counter() - start >= seconds:
            sync(device)  # every counted step has finished on the device when the clock is read
            elapsed = time.perf_counter() - start
            return steps * models / elapsed


def sgemm_gflops(threads, size=2048, seconds=2.0, device="cpu"):
    torch.set_num_threads(threads)
    x, w = torch.randn(size, size, device=device), torch.randn(size, size, device=device)
    torch.mm(x, w)
    sync(device)
    reps, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        torch.mm(x, w)
        reps += 1
        if device == "cuda" and reps % 50 == 0:
            sync(device)  # keeps the host from queueing far past the timed window
    sync(device)
    return 2.0 * size ** 3 * reps / (time.perf_counter() - start) / 1e9


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--parity-n", type=int, default=30, help="input bits n")
    ap.add_argument("--parity-k", type=int, default=3, help="relevant bits k (the first k)")
    ap.add_argument("--parity-m", type=int, default=1000, help="training points per model")
    ap.add_argument("--hidden", type=int, default=512)
    ap.add_argument("--models", type=int, default=16)
    ap.add_argument("--threads", default="1,2", help="thread counts to try; the best is kept")
    ap.add_argument("--seconds", type=float, default=5.0)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--device", choices=("cpu", "cuda"), default="cpu",
                    help="cuda: the same population on the GPU, float32 without TF32 (thread counts ignored)")
    ap.add_argument("--tf32", action="store_true",
                    help="with --device cuda: let the matmuls use TF32 tensor cores, as normclock's --tf32 does")
    # accepted and ignored: the modular-addition scripts' shape flags
    ap.add_argument("--p", type=int, default=None, help=argparse.SUPPRESS)
    ap.add_argument("--width", type=int, default=None, help=argparse.SUPPRESS)
    ap.add_argument("--train-frac", type=float, default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if not 1 <= args.parity_k <= args.parity_n:
        sys.exit(f"parity_population.py: --parity-k must be between 1 and --parity-n ({args.parity_n}), got {args.parity_k}")
    if args.tf32 and args.device != "cuda":
        sys.exit("parity_population.py: --tf32 applies to --device cuda")
    if args.device == "cuda":
        if not torch.cuda.is_available():
            sys.exit(f"parity_population.py: --device cuda, but torch {torch.__version__} sees no CUDA GPU")
        # Plain FP32 like normclock's cuda backend unless --tf32: TF32 rounds the matmuls' inputs to 10 bits.
        torch.backends.cuda.matmul.allow_tf32 = args.tf32
        torch.backends.cudnn.allow_tf32 = args.tf32
        if hasattr(torch, "set_float32_matmul_precision"):
            torch.set_float32_matmul_precision("high" if args.tf32 else "highest")
        threads = [torch.get_num_threads()]
    else:
        threads = [int(t) for t in args.threads.split(",")]
    per_threads = {str(t): time_population(args.parity_n, args.parity_k, args.parity_m, args.hidden, args.models, t,
                                           args.seconds, args.warmup, device=args.device)
                   for t in threads}
    best = max(per_threads, key=per_threads.get)
    out = {
        "torch_version": torch.__version__,
        "model_steps_per_second": per_threads[best],
        "best_threads": int(best),
        "by_threads": per_threads,
        "sgemm_gflops": sgemm_gflops(max(threads), size=4096 if args.device == "cuda" else 2048, device=args.device),
        "sgemm_threads": max(threads),
    }
    if args.device == "cuda":
        out.update(device="cuda", gpu=torch.cuda.get_device_name(0), tf32=torch.backends.cuda.matmul.allow_tf32,
                   models=args.models, parity_n=args.parity_n, parity_k=args.parity_k, parity_m=args.parity_m)
    json.dump(out, sys.stdout)
    print()


if __name__ == "__main__":
    main()
