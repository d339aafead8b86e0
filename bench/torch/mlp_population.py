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
import math

import torch

import population_common as common


def population(p, d, hidden, frac, models, seed=0, device="cpu"):
    g = torch.Generator().manual_seed(seed)  # drawn on the CPU, so every device starts from the same numbers
    a, b, y = common.training_pairs(p, frac, models, g)
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


WEIGHTS = ("E", "W1", "W2")


def time_population(args):
    params, a, b, y = population(args.p, args.width, args.hidden, args.train_frac, args.models, device=args.device)
    state = common.adam_state(params)
    return common.model_steps_per_second(
        lambda n: common.train_steps(params, lambda: forward_loss(params, a, b, y), state, n, lr=1e-3, wd=1.0, target=54.6,
                                     clamp_from=1, weights=WEIGHTS),
        args.models, args.seconds, args.warmup, args.device)


def main():
    ap = common.arguments(__doc__, hidden=256)
    ap.add_argument("--p", type=int, default=59)
    ap.add_argument("--width", type=int, default=128)
    ap.add_argument("--train-frac", type=float, default=0.4)
    args = ap.parse_args()
    common.run(args, "mlp_population.py", lambda: time_population(args), {"p": args.p})


if __name__ == "__main__":
    main()
