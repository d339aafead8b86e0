#!/usr/bin/env python3
"""The papers' way of training a population of one-layer attention models in PyTorch, timed for a side-by-side benchmark.

The attention model of Paper A (PROTOCOL.md §2) on modular addition (a + b) mod p: tokens [a, b, =] with
'=' the index p, vocabulary p+1, embedding E (p+1)×d, learned positions pos 3×d, heads of 32, one layer,
no biases. Only the last position queries: q = x3·Wq, k = x·Wk and v = x·Wv over all three positions,
softmax(q·k/√32) per head, heads concatenated → Wo, residual; exact (erf) GELU MLP Win (d×H), Wout (H×d),
residual; unembedding U (d×(p+1)) → logits over p+1 classes. --layernorm adds the parameter-free
LayerNorm (eps 1e-5) before attention, before the MLP and before U (the project's LayerNorm control).

One tensor per parameter with a leading model axis, einsum for the layers, full-batch steps (loss = the
sum over models of each model's mean cross-entropy, so every model gets its own gradient), hand-written
AdamW (decay before the update, Paper A) and the norm clamp from the first step, so the clamp's cost is
in every timed step as in `normclock bench`. Prints one JSON object, the same as mlp_population.py's:
model-steps/s for each thread count tried, the best of them, and the machine's sgemm GFLOP/s through the
same BLAS torch uses. --device cuda / --tf32 behave as in mlp_population.py.

Written after Paper A's released code (src/run_tfnoln.py; the LayerNorm variant after src/run_tfnormint.py
and src/run_tfgrok.py), vectorised over the model axis the same way. Where that code is more specific
than the protocol's summary it is followed here:
  * the decoupled weight decay and the clamp act on every parameter, the positions `pos` included
    (the model has no biases, so "weights only" leaves nothing out);
  * init N(0, 1/fan_in) with fan_in = d for E, Wq, Wk, Wv, Wo, Win and U (E is scaled by 1/√d, as in
    the MLP), H for Wout; pos N(0, (0.1/√d)²);
  * embeddings are gathered per model (torch.gather on E), then pos added; the loss is log_softmax,
    the true class's log-probability gathered, mean over each model's examples, summed over models;
  * lr 5e-4 without LayerNorm (the no-LN cells, run_tfnoln.py), 1e-3 with it (run_tfnormint.py); the
    clamp target is Paper A's no-LN Wc = 36.88. Neither changes the work a step does.
The clamp divides by ‖W‖ exactly as mlp_population.py does (the papers' code adds 1e-30 to ‖W‖).
"""
import argparse
import json
import math
import sys
import time

import torch
import torch.nn.functional as F

HEAD_DIM = 32
NAMES = ("E", "pos", "Wq", "Wk", "Wv", "Wo", "Win", "Wout", "U")


def population(p, d, hidden, frac, models, seed=0, device="cpu"):
    g = torch.Generator().manual_seed(seed)  # drawn on the CPU, so every device starts from the same numbers
    n = round(frac * p * p)
    splits = torch.stack([torch.randperm(p * p, generator=g)[:n] for _ in range(models)])  # [B, n]
    a, b = splits // p, splits % p
    y = (a + b) % p
    tokens = torch.stack([a, b, torch.full_like(a, p)], dim=-1)  # [B, n, 3]; '=' is token p
    v = p + 1
    params = {
        "E": torch.randn(models, v, d, generator=g) / math.sqrt(d),
        "pos": torch.randn(models, 3, d, generator=g) * (0.1 / math.sqrt(d)),
        "Wq": torch.randn(models, d, d, generator=g) / math.sqrt(d),
        "Wk": torch.randn(models, d, d, generator=g) / math.sqrt(d),
        "Wv": torch.randn(models, d, d, generator=g) / math.sqrt(d),
        "Wo": torch.randn(models, d, d, generator=g) / math.sqrt(d),
        "Win": torch.randn(models, d, hidden, generator=g) / math.sqrt(d),
        "Wout": torch.randn(models, hidden, d, generator=g) / math.sqrt(hidden),
        "U": torch.randn(models, d, v, generator=g) / math.sqrt(d),
    }
    params = {k: t.to(device) for k, t in params.items()}
    for t in params.values():
        t.requires_grad_(True)
    return params, tokens.to(device), y.to(device)


def layer_norm(x):
    # parameter-free LayerNorm over the last axis, biased variance, eps 1e-5 (the papers' ln)
    return (x - x.mean(-1, keepdim=True)) / (x.var(-1, unbiased=False, keepdim=True) + 1e-5).sqrt()


def logits(params, tokens, layernorm=False):
    E, pos, Wq, Wk, Wv, Wo, Win, Wout, U = (params[k] for k in NAMES)
    models, n, _ = tokens.shape
    d = E.shape[-1]
    heads = d // HEAD_DIM
    ln = layer_norm if layernorm else (lambda t: t)
    idx = tokens.reshape(models, n * 3, 1).expand(models, n * 3, d)
    x = torch.gather(E, 1, idx).reshape(models, n, 3, d) + pos[:, None]              # [B, n, 3, d]
    xa = ln(x)
    q = torch.einsum("bnd,bde->bne", xa[:, :, -1], Wq).reshape(models, n, heads, HEAD_DIM)  # last position only
    k = torch.einsum("bntd,bde->bnte", xa, Wk).reshape(models, n, 3, heads, HEAD_DIM)
    v = torch.einsum("bntd,bde->bnte", xa, Wv).reshape(models, n, 3, heads, HEAD_DIM)
    att = torch.softmax(torch.einsum("bnhe,bnthe->bnht", q, k) / math.sqrt(HEAD_DIM), dim=-1)  # [B, n, heads, 3]
    z = torch.einsum("bnht,bnthe->bnhe", att, v).reshape(models, n, d)               # heads concatenated
    x3 = x[:, :, -1] + torch.einsum("bnd,bde->bne", z, Wo)                           # residual
    h = F.gelu(torch.einsum("bnd,bdm->bnm", ln(x3), Win))                            # exact (erf) GELU
    x3 = x3 + torch.einsum("bnm,bmd->bnd", h, Wout)                                  # residual
    return torch.einsum("bnd,bdv->bnv", ln(x3), U)                                   # [B, n, p+1]


def per_model_loss(params, tokens, y, layernorm=False):
    logp = F.log_softmax(logits(params, tokens, layernorm), dim=-1)
    return -logp.gather(-1, y.unsqueeze(-1)).squeeze(-1).mean(dim=1)                 # [B]


def forward_loss(params, tokens, y, layernorm=False):
    # mean over each model's examples, summed over models: every model gets its own gradient
    return per_model_loss(params, tokens, y, layernorm).sum()


def train_steps(params, tokens, y, state, steps, lr=5e-4, wd=1.0, target=36.88, clamp_from=1, layernorm=False):
    b1, b2, eps = 0.9, 0.999, 1e-8
    weights = NAMES  # no biases: decay and the norm cover every parameter, pos included (as the papers' code)
    for _ in range(steps):
        loss = forward_loss(params, tokens, y, layernorm)
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


def time_population(p, d, hidden, frac, models, threads, seconds, warmup, device="cpu", layernorm=False):
    torch.set_num_threads(threads)
    params, tokens, y = population(p, d, hidden, frac, models, device=device)
    state = {"t": 0, "m": {k: torch.zeros_like(v) for k, v in params.items()},
             "v": {k: torch.zeros_like(v) for k, v in params.items()}}
    lr = 1e-3 if layernorm else 5e-4
    train_steps(params, tokens, y, state, warmup, lr=lr, layernorm=layernorm)
    sync(device)
    steps, start = 0, time.perf_counter()
    while True:
        train_steps(params, tokens, y, state, 1, lr=lr, layernorm=layernorm)
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
    ap.add_argument("--width", type=int, default=128, help="d, a multiple of the head size 32 (d/32 heads)")
    ap.add_argument("--hidden", type=int, default=512)
    ap.add_argument("--train-frac", type=float, default=0.4)
    ap.add_argument("--models", type=int, default=16)
    ap.add_argument("--threads", default="1,2", help="thread counts to try; the best is kept")
    ap.add_argument("--seconds", type=float, default=5.0)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--device", choices=("cpu", "cuda"), default="cpu",
                    help="cuda: the same population on the GPU, float32 without TF32 (thread counts ignored)")
    ap.add_argument("--tf32", action="store_true",
                    help="with --device cuda: let the matmuls use TF32 tensor cores, as normclock's --tf32 does")
    ap.add_argument("--layernorm", action="store_true",
                    help="non-affine LayerNorm (eps 1e-5) before attention, before the MLP and before U")
    args = ap.parse_args()
    if args.width < HEAD_DIM or args.width % HEAD_DIM:
        sys.exit(f"attention_population.py: --width must be a positive multiple of {HEAD_DIM} (heads of {HEAD_DIM}), got {args.width}")
    if args.tf32 and args.device != "cuda":
        sys.exit("attention_population.py: --tf32 applies to --device cuda")
    if args.device == "cuda":
        if not torch.cuda.is_available():
            sys.exit(f"attention_population.py: --device cuda, but torch {torch.__version__} sees no CUDA GPU")
        # Plain FP32 like normclock's cuda backend unless --tf32: TF32 rounds the matmuls' inputs to 10 bits.
        torch.backends.cuda.matmul.allow_tf32 = args.tf32
        torch.backends.cudnn.allow_tf32 = args.tf32
        if hasattr(torch, "set_float32_matmul_precision"):
            torch.set_float32_matmul_precision("high" if args.tf32 else "highest")
        threads = [torch.get_num_threads()]
    else:
        threads = [int(t) for t in args.threads.split(",")]
    per_threads = {str(t): time_population(args.p, args.width, args.hidden, args.train_frac, args.models, t, args.seconds, args.warmup,
                                           device=args.device, layernorm=args.layernorm)
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
