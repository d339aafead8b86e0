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
import math
import sys

import torch
import torch.nn.functional as F

import population_common as common

HEAD_DIM = 32
NAMES = ("E", "pos", "Wq", "Wk", "Wv", "Wo", "Win", "Wout", "U")


def population(p, d, hidden, frac, models, seed=0, device="cpu"):
    g = torch.Generator().manual_seed(seed)  # drawn on the CPU, so every device starts from the same numbers
    a, b, y = common.training_pairs(p, frac, models, g)
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


def time_population(args):
    params, tokens, y = population(args.p, args.width, args.hidden, args.train_frac, args.models, device=args.device)
    state = common.adam_state(params)
    lr = 1e-3 if args.layernorm else 5e-4  # the papers' runs: run_tfnormint.py with LayerNorm, run_tfnoln.py without
    # no biases: decay and the norm cover every parameter, pos included (as the papers' code)
    return common.model_steps_per_second(
        lambda n: common.train_steps(params, lambda: forward_loss(params, tokens, y, args.layernorm), state, n, lr=lr, wd=1.0,
                                     target=36.88, clamp_from=1, weights=NAMES),
        args.models, args.seconds, args.warmup, args.device)


def main():
    ap = common.arguments(__doc__, hidden=512)
    ap.add_argument("--p", type=int, default=59)
    ap.add_argument("--width", type=int, default=128, help="d, a multiple of the head size 32 (d/32 heads)")
    ap.add_argument("--train-frac", type=float, default=0.4)
    ap.add_argument("--layernorm", action="store_true",
                    help="non-affine LayerNorm (eps 1e-5) before attention, before the MLP and before U")
    args = ap.parse_args()
    if args.width < HEAD_DIM or args.width % HEAD_DIM:
        sys.exit(f"attention_population.py: --width must be a positive multiple of {HEAD_DIM} (heads of {HEAD_DIM}), got {args.width}")
    common.run(args, "attention_population.py", lambda: time_population(args), {"p": args.p})


if __name__ == "__main__":
    main()
