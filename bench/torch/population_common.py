"""What the PyTorch population benchmarks share: the papers' optimiser and clamp, the timing, the sgemm
peak, and the command line and JSON every script prints (mlp_population.py, attention_population.py,
parity_population.py import it from their own folder).

The optimiser is the papers' hand-written AdamW (β1 0.9, β2 0.999, ε 1e-8, bias correction; decoupled
decay W *= 1 - lr·λ before the Adam update, Paper A's order, on the weight matrices only) and the clamp
multiplies every weight matrix of a model by target / ‖W‖, ‖W‖ over those matrices.
"""
import argparse
import json
import sys
import time

import torch

BETA1, BETA2, EPS = 0.9, 0.999, 1e-8


def training_pairs(p, frac, models, g):
    """Each model's own split of the p² pairs of (a + b) mod p: its round(frac·p²) training pairs a, b and labels y, [B, n] each."""
    n = round(frac * p * p)
    splits = torch.stack([torch.randperm(p * p, generator=g)[:n] for _ in range(models)])  # [B, n]
    a, b = splits // p, splits % p
    return a, b, (a + b) % p


def adam_state(params):
    return {"t": 0, "m": {k: torch.zeros_like(v) for k, v in params.items()},
            "v": {k: torch.zeros_like(v) for k, v in params.items()}}


def train_steps(params, loss_fn, state, steps, lr, wd, target, clamp_from, weights):
    """`steps` full-batch steps of loss_fn(): backward, AdamW, and from step clamp_from the norm of `weights` held at target."""
    for _ in range(steps):
        loss = loss_fn()
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
                m.mul_(BETA1).add_(g, alpha=1 - BETA1)
                v.mul_(BETA2).addcmul_(g, g, value=1 - BETA2)
                mhat = m / (1 - BETA1 ** t_)
                vhat = v / (1 - BETA2 ** t_)
                w.sub_(lr * mhat / (vhat.sqrt() + EPS))
            if t_ >= clamp_from:
                norm = torch.sqrt(sum((params[k] ** 2).sum(dim=tuple(range(1, params[k].dim()))) for k in weights))  # [B]
                for k in weights:
                    params[k].mul_((target / norm).view(-1, *([1] * (params[k].dim() - 1))))


def sync(device):
    # GPU work is queued asynchronously: the clock may only be read once the queue has drained.
    if device == "cuda":
        torch.cuda.synchronize()


def model_steps_per_second(run_steps, models, seconds, warmup, device):
    """run_steps(n) trains n steps; after `warmup` of them, steps until `seconds` have passed."""
    run_steps(warmup)
    sync(device)
    steps, start = 0, time.perf_counter()
    while True:
        run_steps(1)
        steps += 1
        if time.perf_counter() - start >= seconds:
            sync(device)  # every counted step has finished on the device when the clock is read
            return steps * models / (time.perf_counter() - start)


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


def arguments(doc, hidden):
    """The options every script takes; a script adds its model's shape."""
    ap = argparse.ArgumentParser(description=doc.splitlines()[0])
    ap.add_argument("--hidden", type=int, default=hidden)
    ap.add_argument("--models", type=int, default=16)
    ap.add_argument("--threads", default="1,2", help="thread counts to try; the best is kept")
    ap.add_argument("--seconds", type=float, default=5.0)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--device", choices=("cpu", "cuda"), default="cpu",
                    help="cuda: the same population on the GPU, float32 without TF32 (thread counts ignored)")
    ap.add_argument("--tf32", action="store_true",
                    help="with --device cuda: let the matmuls use TF32 tensor cores, as normclock's --tf32 does")
    return ap


def run(args, prog, time_population, shape):
    """Times time_population(threads) for each thread count and prints the JSON object; `shape` joins it on cuda."""
    if args.tf32 and args.device != "cuda":
        sys.exit(f"{prog}: --tf32 applies to --device cuda")
    if args.device == "cuda":
        if not torch.cuda.is_available():
            sys.exit(f"{prog}: --device cuda, but torch {torch.__version__} sees no CUDA GPU")
        # Plain FP32 like normclock's cuda backend unless --tf32: TF32 rounds the matmuls' inputs to 10 bits.
        torch.backends.cuda.matmul.allow_tf32 = args.tf32
        torch.backends.cudnn.allow_tf32 = args.tf32
        if hasattr(torch, "set_float32_matmul_precision"):
            torch.set_float32_matmul_precision("high" if args.tf32 else "highest")
        threads = [torch.get_num_threads()]
    else:
        threads = [int(t) for t in args.threads.split(",")]
    per_threads = {}
    for t in threads:
        torch.set_num_threads(t)
        per_threads[str(t)] = time_population()
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
                   models=args.models, **shape)
    json.dump(out, sys.stdout)
    print()
