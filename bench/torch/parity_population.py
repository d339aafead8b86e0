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
import math
import sys

import torch
import torch.nn.functional as F

import population_common as common

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


def time_population(args):
    params, x, y = population(args.parity_n, args.parity_k, args.parity_m, args.hidden, args.models, device=args.device)
    state = common.adam_state(params)
    return common.model_steps_per_second(
        lambda n: common.train_steps(params, lambda: forward_loss(params, x, y), state, n, lr=1e-3, wd=1.0, target=20.6,
                                     clamp_from=1, weights=WEIGHTS),
        args.models, args.seconds, args.warmup, args.device)


def main():
    ap = common.arguments(__doc__, hidden=512)
    ap.add_argument("--parity-n", type=int, default=30, help="input bits n")
    ap.add_argument("--parity-k", type=int, default=3, help="relevant bits k (the first k)")
    ap.add_argument("--parity-m", type=int, default=1000, help="training points per model")
    # accepted and ignored, so a caller can pass every script the same flags
    ap.add_argument("--p", type=int, default=None, help=argparse.SUPPRESS)
    ap.add_argument("--width", type=int, default=None, help=argparse.SUPPRESS)
    ap.add_argument("--train-frac", type=float, default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if not 1 <= args.parity_k <= args.parity_n:
        sys.exit(f"parity_population.py: --parity-k must be between 1 and --parity-n ({args.parity_n}), got {args.parity_k}")
    common.run(args, "parity_population.py", lambda: time_population(args),
               {"parity_n": args.parity_n, "parity_k": args.parity_k, "parity_m": args.parity_m})


if __name__ == "__main__":
    main()
