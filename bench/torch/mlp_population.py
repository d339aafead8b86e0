#!/usr/bin/env python3
"""The papers' way of training an MLP population in PyTorch, timed for a side-by-side benchmark.

One tensor per parameter with a leading model axis, einsum for the layers, full-batch steps,
hand-written AdamW (decay before the update, Paper A) and the norm clamp: the same model, data
sizes and optimiser as `normclock bench`. Prints one JSON object: model-steps/s for each thread
count tried, the best of them, and the machine's sgemm GFLOP/s through the same BLAS torch uses.

--device cuda runs the same population on the GPU (bench/gpu-check.sh puts it beside `normclock bench
--backend cuda`): float32 with TF32 switched off (normclock's cuda backend computes in plain FP32, so
TF32 here would compare different arithmetic), timed between device synchronisations; the thread
counts are then ignored and sgemm_gflops is the GPU's FP32 torch.mm rate. Without --device the
behaviour is the CPU one above, unchanged.
"""
import argparse
import json
import math
import sys
import time

import torch


def population(p, d, hidden, frac, models, seed=0, device="cpu"):
    g = torch.Generator().manual_seed(seed)  # drawn on the CPU, so every device starts from the same numbers
    n = round(frac * p * p)
    splits = torch.stack([torch.randperm(p * p, generator=g)[:n] for _ in range(models)])  # [B, n]
    a, b = splits // p, splits % p
    y = (a + b) % p
    params = {
        "E": torch.randn(models, p, d, generator=g) / math.sqrt(d),
        "W1": torch.randn(models, 2 * d, hidden, generator=g) / math.sqrt(2 * d),
        "b1": torch.randn(models, hidden, generator=g) * 1e-6,
        "W2": torch.randn(models, hidden, p, generator=g) / math.sqrt(hidden),
        "b2": torch.randn(models, p, generator=g) * 1e-6,
    }
    params = {k: t.to(device) for k, t in params.items()}
    for t in params.values():
        t.requires_grad_(True)
    return params, a.to(device), b.to(device), y.to(device)


def forward_loss(params, a, b, y):
    E, W1, b1, W2, b2 = (params[k] for k in ("E", "W1", "b1", "W2", "b2"))
    models = E.shape[0]
    idx = torch.arange(models, device=E.device)[:, None]
    x = torch.cat([E[idx, a], E[idx, b]], dim=-1)                      # [B, n, 2d]
    h = torch.nn.functional.gelu(torch.einsum("bnk,bkh->bnh", x, W1) + b1[:, None, :])
    z = torch.einsum("bnh,bhp->bnp", h, W2) + b2[:, None, :]             # [B, n, p]
    # mean over each model's examples, summed over models: every model gets its own gradient
    return torch.nn.functional.cross_entropy(z.reshape(-1, z.shape[-1]), y.reshape(-1), reduction="sum") / a.shape[1]


def train_steps(params, a, b, y, state, steps, lr=1e-3, wd=1.0, target=54.6, clamp_from=1):
    b1, b2, eps = 0.9, 0.999, 1e-8
    weights = ("E", "W1", "W2")
    for _ in range(steps):
        loss = forward_loss(params, a, b, y)
        for t in params.values():
            t.grad = None
        loss.backward()
        state["t"] += 1
        t_ = state["t"]
        with torch.no_grad():
            for k, w in params.items():
                g = w.grad
                m, v = state["m"][k], state["v"][k]
                if k in weights:
                    w.mul_(1 - lr * wd)
                m.mul_(b1).add_(g, alpha=1 - b1)
                v.mul_(b2).addcmul_(g, g, value=1 - b2)
                mhat = m / (1 - b1 ** t_)
                vhat = v / (1 - b2 ** t_)
                w.sub_(lr * mhat / (vhat.sqrt() + eps))
            if t_ >= clamp_from:
                norm = torch.sqrt(sum((params[k] ** 2).sum(dim=tuple(range(1, params[k].dim()))) for k in weights))  # [B]
                for k in weights:
                    params[k].mul_((target / norm).view(-1, *([1] * (params[k].dim() - 1))))


def sync(device):
    # GPU work is queued asynchronously: the clock may only be read once the queue has drained.
    if device == "cuda":
        torch.cuda.synchronize()


def time_population(p, d, hidden, frac, models, threads, seconds, warmup, device="cpu"):
    torch.set_num_threads(threads)
    params, a, b, y = population(p, d, hidden, frac, models, device=device)
    state = {"t": 0, "m": {k: torch.zeros_like(v) for k, v in params.items()},
             "v": {k: torch.zeros_like(v) for k, v in params.items()}}
    train_steps(params, a, b, y, state, warmup)
    sync(device)
    steps, start = 0, time.perf_counter()
    while True:
        train_steps(params, a, b, y, state, 1)
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
    ap.add_argument("--p", type=int, default=59)
    ap.add_argument("--width", type=int, default=128)
    ap.add_argument("--hidden", type=int, default=256)
    ap.add_argument("--train-frac", type=float, default=0.4)
    ap.add_argument("--models", type=int, default=16)
    ap.add_argument("--threads", default="1,2", help="thread counts to try; the best is kept")
    ap.add_argument("--seconds", type=float, default=5.0)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--device", choices=("cpu", "cuda"), default="cpu",
                    help="cuda: the same population on the GPU, float32 without TF32 (thread counts ignored)")
    ap.add_argument("--tf32", action="store_true",
                    help="with --device cuda: let the matmuls use TF32 tensor cores, as normclock's --tf32 does")
    args = ap.parse_args()
    if args.tf32 and args.device != "cuda":
        sys.exit("mlp_population.py: --tf32 applies to --device cuda")
    if args.device == "cuda":
        if not torch.cuda.is_available():
            sys.exit(f"mlp_population.py: --device cuda, but torch {torch.__version__} sees no CUDA GPU")
        # Plain FP32 like normclock's cuda backend unless --tf32: TF32 rounds the matmuls' inputs to 10 bits.
        torch.backends.cuda.matmul.allow_tf32 = args.tf32
        torch.backends.cudnn.allow_tf32 = args.tf32
        if hasattr(torch, "set_float32_matmul_precision"):
            torch.set_float32_matmul_precision("high" if args.tf32 else "highest")
        threads = [torch.get_num_threads()]
    else:
        threads = [int(t) for t in args.threads.split(",")]
    per_threads = {str(t): time_population(args.p, args.width, args.hidden, args.train_frac, args.models, t, args.seconds, args.warmup,
                                           device=args.device)
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
                   models=args.models, p=args.p)
    json.dump(out, sys.stdout)
    print()


if __name__ == "__main__":
    main()
