#!/usr/bin/env python3
"""Write src/optim/golden/optimizers.json: reference trajectories for the optimizers' tests.

Usage: python scripts/golden_optimizers.py [OUT_FILE]
Needs torch (2.x), lion-pytorch, schedulefree and prodigyopt.

Every case runs one reference optimizer for 20 steps on a fixed parameter tensor with a fixed
sequence of gradients (drawn once from numpy's generator seeded with SEED, rounded to f32, with
exact zeros sprinkled in so that sign rules meet them) and records the parameters after every step.
torch.optim optimizers run their single-tensor path (foreach=False) on the CPU in f32. Each case
names the `[optimizer]` TOML that lrtrain builds the same optimizer from; the Rust tests
(`optim::golden`) run it over the same gradients at the same constant rate and compare.
"""

import json
import os
import sys

import numpy as np
import schedulefree
import torch
from lion_pytorch import Lion
from prodigyopt import Prodigy

SEED = 20261130
STEPS = 20
N = 7


def data():
    rng = np.random.default_rng(SEED)
    p0 = rng.normal(0.0, 1.0, N).astype(np.float32)
    grads = rng.normal(0.0, 1.0, (STEPS, N)).astype(np.float32)
    grads[rng.random((STEPS, N)) < 0.1] = 0.0
    grads[3, 2] = 0.0
    return p0, grads


# A 4-3-2 MLP's tensors as lrtrain lays them out in its flat buffer: each weight stored
# (in, out) row-major, i.e. PyTorch's [out, in] transposed, then its bias.
# (offset, rows, cols, row_stride, col_stride, matrix) in PyTorch's [out, in] sense.
MLP_LAYOUT = [
    (0, 3, 4, 1, 3, 1), (12, 3, 1, 1, 3, 0),
    (15, 2, 3, 1, 2, 1), (21, 2, 1, 1, 2, 0),
]
MLP_N = 23


def mlp_data():
    rng = np.random.default_rng(SEED + 1)
    p0 = rng.normal(0.0, 0.5, MLP_N).astype(np.float32)
    grads = rng.normal(0.0, 0.1, (STEPS, MLP_N)).astype(np.float32)
    return p0, grads


def to_tensors(flat):
    """lrtrain's flat buffer -> PyTorch tensors ([out, in] weights, [out] biases)."""
    out = []
    for off, rows, cols, _, _, matrix in MLP_LAYOUT:
        if matrix:
            out.append(torch.tensor(flat[off:off + rows * cols].reshape(cols, rows).T.copy()))
        else:
            out.append(torch.tensor(flat[off:off + rows].copy()))
    return out


def to_flat(tensors):
    return [float(x) for t in tensors for x in (t.detach().T if t.dim() == 2 else t.detach()).contiguous().numpy().ravel()]


def mlp_trajectory(make, p0, grads):
    ps = [torch.nn.Parameter(t) for t in to_tensors(p0)]
    opt = make(ps)
    out = []
    for g in grads:
        for p, gt in zip(ps, to_tensors(g)):
            p.grad = gt
        opt.step()
        out.append(to_flat(ps))
    return out


def newton_schulz_f32(grad, ns_coefficients, ns_steps, eps):
    """torch.optim._muon._zeropower_via_newtonschulz with f32 in place of bfloat16 (lrtrain's
    choice), for the exact Muon goldens."""
    a, b, c = ns_coefficients
    x = grad.to(dtype=torch.float32, copy=True)
    if grad.size(0) > grad.size(1):
        x = x.T
    x.div_(x.norm().clamp(min=eps))
    for _ in range(ns_steps):
        gram = x @ x.T
        update = torch.addmm(gram, gram, gram, beta=b, alpha=c)
        x = torch.addmm(x, update, x, beta=a)
    if grad.size(0) > grad.size(1):
        x = x.T
    return x


class MuonF32:
    """Runs `make` with Muon's Newton–Schulz in f32."""

    def __init__(self, make):
        self.make = make

    def __call__(self, ps):
        self.opt = self.make(ps)
        return self

    def step(self):
        import torch.optim._muon as m
        saved = m._zeropower_via_newtonschulz
        m._zeropower_via_newtonschulz = newton_schulz_f32
        try:
            self.opt.step()
        finally:
            m._zeropower_via_newtonschulz = saved


class MuonWithAdamW:
    """torch.optim.Muon on the 2-D weights and torch.optim.AdamW (same lr and weight_decay) on
    the biases, as Muon's documentation advises."""

    def __init__(self, ps, lr, weight_decay=0.1, betas=(0.9, 0.999), eps=1e-8, **muon):
        self.muon = T.Muon([p for p in ps if p.dim() == 2], lr=lr, weight_decay=weight_decay, **muon)
        self.adamw = T.AdamW([p for p in ps if p.dim() != 2], lr=lr, weight_decay=weight_decay,
                             betas=betas, eps=eps, foreach=False)

    def step(self):
        self.muon.step()
        self.adamw.step()


def trajectory(make, p0, grads):
    p = torch.nn.Parameter(torch.tensor(p0))
    opt = make([p])
    out = []
    for g in grads:
        p.grad = torch.tensor(g)
        opt.step()
        out.append([float(x) for x in p.detach().numpy()])
    return out


def schedule_free_trajectories(make, beta, p0, grads):
    """y after each step, and x as the reference's eval() computes it (on a copy: eval() then
    train() would not give back y bit for bit)."""
    p = torch.nn.Parameter(torch.tensor(p0))
    opt = make([p])
    opt.train()
    ys, xs = [], []
    for g in grads:
        p.grad = torch.tensor(g)
        opt.step()
        ys.append([float(x) for x in p.detach().numpy()])
        x = p.detach().clone().lerp_(end=opt.state[p]["z"], weight=1 - 1 / beta)
        xs.append([float(v) for v in x.numpy()])
    return ys, xs


# L-BFGS needs a function, not a gradient sequence: an L2-regularised logistic regression on
# PROBLEM_ROWS fixed rows of N features (labels ±1), full batch, one step(closure) per step:
#   f(p) = mean_i softplus(-b_i · (A p)_i) + L2 · Σ p²
PROBLEM_ROWS = 24
L2 = 0.05
CLOSURE_STEPS = 6


def problem():
    rng = np.random.default_rng(SEED + 2)
    a = rng.normal(0.0, 1.0, (PROBLEM_ROWS, N)).astype(np.float32)
    w = rng.normal(0.0, 1.0, N)
    b = np.where(a @ w + rng.normal(0.0, 0.5, PROBLEM_ROWS) > 0, 1.0, -1.0).astype(np.float32)
    return a, b


def closure_trajectory(make, p0):
    a, b = (torch.tensor(x) for x in problem())
    p = torch.nn.Parameter(torch.tensor(p0))
    opt = make([p])

    def closure():
        opt.zero_grad()
        loss = torch.nn.functional.softplus(-b * (a @ p)).mean() + L2 * (p * p).sum()
        loss.backward()
        return loss

    out = []
    for _ in range(CLOSURE_STEPS):
        opt.step(closure)
        out.append([float(x) for x in p.detach().numpy()])
    return out


T = torch.optim

# (name, lrtrain's [optimizer] body, ["mlp" for the MLP's tensors | ("sf", β) for schedule-free
#  cases, whose evaluation point x is recorded too,] the reference optimizer)
CASES = [
    ("nadam", 'kind = "nadam"\nlr = 0.01',
     lambda ps: T.NAdam(ps, lr=0.01, foreach=False)),
    ("nadam/weight_decay", 'kind = "nadam"\nlr = 0.01\nweight_decay = 0.1',
     lambda ps: T.NAdam(ps, lr=0.01, weight_decay=0.1, foreach=False)),
    ("nadam/decoupled", 'kind = "nadam"\nlr = 0.01\nweight_decay = 0.1\ndecoupled_weight_decay = true',
     lambda ps: T.NAdam(ps, lr=0.01, weight_decay=0.1, decoupled_weight_decay=True, foreach=False)),
    ("nadam/momentum_decay", 'kind = "nadam"\nlr = 0.01\nmomentum_decay = 0.1\nbeta1 = 0.8\nbeta2 = 0.9\neps = 1e-3',
     lambda ps: T.NAdam(ps, lr=0.01, momentum_decay=0.1, betas=(0.8, 0.9), eps=1e-3, foreach=False)),
    ("radam", 'kind = "radam"\nlr = 0.01',
     lambda ps: T.RAdam(ps, lr=0.01, foreach=False)),
    ("radam/weight_decay", 'kind = "radam"\nlr = 0.01\nweight_decay = 0.1',
     lambda ps: T.RAdam(ps, lr=0.01, weight_decay=0.1, foreach=False)),
    ("radam/decoupled", 'kind = "radam"\nlr = 0.01\nweight_decay = 0.1\ndecoupled_weight_decay = true',
     lambda ps: T.RAdam(ps, lr=0.01, weight_decay=0.1, decoupled_weight_decay=True, foreach=False)),
    ("radam/beta2", 'kind = "radam"\nlr = 0.01\nbeta1 = 0.5\nbeta2 = 0.9\neps = 1e-4',
     lambda ps: T.RAdam(ps, lr=0.01, betas=(0.5, 0.9), eps=1e-4, foreach=False)),
    ("adamax", 'kind = "adamax"\nlr = 0.01',
     lambda ps: T.Adamax(ps, lr=0.01, foreach=False)),
    ("adamax/weight_decay", 'kind = "adamax"\nlr = 0.01\nweight_decay = 0.1\nbeta1 = 0.5\nbeta2 = 0.8\neps = 1e-3',
     lambda ps: T.Adamax(ps, lr=0.01, weight_decay=0.1, betas=(0.5, 0.8), eps=1e-3, foreach=False)),
    ("adadelta", 'kind = "adadelta"',
     lambda ps: T.Adadelta(ps, foreach=False)),
    ("adadelta/rho", 'kind = "adadelta"\nlr = 0.5\nrho = 0.5\neps = 1e-3\nweight_decay = 0.1',
     lambda ps: T.Adadelta(ps, lr=0.5, rho=0.5, eps=1e-3, weight_decay=0.1, foreach=False)),
    ("rprop", 'kind = "rprop"',
     lambda ps: T.Rprop(ps, foreach=False)),
    ("rprop/clamped", 'kind = "rprop"\nlr = 0.05\neta_minus = 0.3\neta_plus = 1.5\nstep_size_min = 0.01\nstep_size_max = 0.2',
     lambda ps: T.Rprop(ps, lr=0.05, etas=(0.3, 1.5), step_sizes=(0.01, 0.2), foreach=False)),
    ("asgd", 'kind = "asgd"\nlr = 0.1',
     lambda ps: T.ASGD(ps, lr=0.1, foreach=False)),
    ("asgd/decaying", 'kind = "asgd"\nlr = 0.1\nlambd = 0.5\nalpha = 0.5\nt0 = 5.0\nweight_decay = 0.1',
     lambda ps: T.ASGD(ps, lr=0.1, lambd=0.5, alpha=0.5, t0=5.0, weight_decay=0.1, foreach=False)),
    ("lion", 'kind = "lion"\nlr = 0.01',
     lambda ps: Lion(ps, lr=0.01)),
    ("adafactor", 'kind = "adafactor"', "mlp",
     lambda ps: T.Adafactor(ps, foreach=False)),
    ("adafactor/options", 'kind = "adafactor"\nlr = 0.05\nbeta2_decay = -0.5\neps1 = 1e-6\neps2 = 1e-2\nd = 1.5\nweight_decay = 0.1', "mlp",
     lambda ps: T.Adafactor(ps, lr=0.05, beta2_decay=-0.5, eps=(1e-6, 1e-2), d=1.5, weight_decay=0.1, foreach=False)),
    ("sgd_schedule_free", 'kind = "sgd_schedule_free"\nlr = 0.1', ("sf", 0.9),
     lambda ps: schedulefree.SGDScheduleFree(ps, lr=0.1, foreach=False)),
    ("sgd_schedule_free/options", 'kind = "sgd_schedule_free"\nlr = 0.1\nmomentum = 0.8\nweight_decay = 0.1\nwarmup_steps = 5\nr = 0.5\nweight_lr_power = 1.0', ("sf", 0.8),
     lambda ps: schedulefree.SGDScheduleFree(ps, lr=0.1, momentum=0.8, weight_decay=0.1, warmup_steps=5, r=0.5, weight_lr_power=1.0, foreach=False)),
    ("adamw_schedule_free", 'kind = "adamw_schedule_free"', ("sf", 0.9),
     lambda ps: schedulefree.AdamWScheduleFree(ps, foreach=False)),
    ("adamw_schedule_free/options", 'kind = "adamw_schedule_free"\nlr = 0.01\nbeta1 = 0.8\nbeta2 = 0.9\neps = 1e-4\nweight_decay = 0.1\nwarmup_steps = 5\nr = 1.0', ("sf", 0.8),
     lambda ps: schedulefree.AdamWScheduleFree(ps, lr=0.01, betas=(0.8, 0.9), eps=1e-4, weight_decay=0.1, warmup_steps=5, r=1.0, foreach=False)),
    ("prodigy", 'kind = "prodigy"',
     lambda ps: Prodigy(ps)),
    ("prodigy/options", 'kind = "prodigy"\nlr = 0.5\nbeta3 = 0.9\nd0 = 1e-3\nweight_decay = 0.1\nuse_bias_correction = true\ngrowth_rate = 1.5',
     lambda ps: Prodigy(ps, lr=0.5, beta3=0.9, d0=1e-3, weight_decay=0.1, use_bias_correction=True, growth_rate=1.5)),
    ("prodigy/coupled", 'kind = "prodigy"\nd0 = 1e-2\nweight_decay = 0.1\ndecouple = false\nsafeguard_warmup = true\nd_coef = 0.5',
     lambda ps: Prodigy(ps, d0=1e-2, weight_decay=0.1, decouple=False, safeguard_warmup=True, d_coef=0.5)),
    ("prodigy/no_momentum", 'kind = "prodigy"\nbeta1 = 0.0\nd0 = 1e-2',
     lambda ps: Prodigy(ps, betas=(0.0, 0.999), d0=1e-2)),
    ("muon", 'kind = "muon"\nlr = 0.02', "mlp",
     lambda ps: MuonWithAdamW(ps, lr=0.02)),
    ("muon/options", 'kind = "muon"\nlr = 0.02\nweight_decay = 0.5\nmomentum = 0.8\nnesterov = false\nns_steps = 3\nadjust_lr_fn = "match_rms_adamw"\nadamw_beta1 = 0.5\nadamw_beta2 = 0.9\nadamw_eps = 1e-3', "mlp",
     lambda ps: MuonWithAdamW(ps, lr=0.02, weight_decay=0.5, momentum=0.8, nesterov=False, ns_steps=3, adjust_lr_fn="match_rms_adamw", betas=(0.5, 0.9), eps=1e-3)),
    ("muon/f32", 'kind = "muon"\nlr = 0.02', "mlp",
     MuonF32(lambda ps: MuonWithAdamW(ps, lr=0.02))),
    ("muon/f32_options", 'kind = "muon"\nlr = 0.02\nweight_decay = 0.5\nmomentum = 0.8\nnesterov = false\nns_steps = 3\nadjust_lr_fn = "match_rms_adamw"\nadamw_beta1 = 0.5\nadamw_beta2 = 0.9\nadamw_eps = 1e-3', "mlp",
     MuonF32(lambda ps: MuonWithAdamW(ps, lr=0.02, weight_decay=0.5, momentum=0.8, nesterov=False, ns_steps=3, adjust_lr_fn="match_rms_adamw", betas=(0.5, 0.9), eps=1e-3))),
    ("lbfgs", 'kind = "lbfgs"', "closure",
     lambda ps: T.LBFGS(ps)),
    ("lbfgs/strong_wolfe", 'kind = "lbfgs"\nline_search_fn = "strong_wolfe"', "closure",
     lambda ps: T.LBFGS(ps, line_search_fn="strong_wolfe")),
    ("lbfgs/short_history", 'kind = "lbfgs"\nlr = 0.2\nmax_iter = 4\nhistory_size = 3', "closure",
     lambda ps: T.LBFGS(ps, lr=0.2, max_iter=4, history_size=3)),
    ("lbfgs/strong_wolfe_short", 'kind = "lbfgs"\nmax_iter = 5\nmax_eval = 9\nhistory_size = 2\nline_search_fn = "strong_wolfe"', "closure",
     lambda ps: T.LBFGS(ps, max_iter=5, max_eval=9, history_size=2, line_search_fn="strong_wolfe")),
    # A step too long (lr 10: the zoom, 2–6 evaluations per search) and too short (lr 0.05:
    # the interpolation outwards) so both phases of _strong_wolfe run. Only their first two steps
    # are kept: from step 3 on, they sit at the optimum where the search follows f32 noise
    # (torch's own f32 and f64 runs differ there by 2.7e-4 and 1.5e-2; by < 6e-7 before).
    ("lbfgs/strong_wolfe_zoom", 'kind = "lbfgs"\nlr = 10.0\nmax_iter = 5\nline_search_fn = "strong_wolfe"', "closure",
     lambda ps: T.LBFGS(ps, lr=10.0, max_iter=5, line_search_fn="strong_wolfe")),
    ("lbfgs/strong_wolfe_extrapolate", 'kind = "lbfgs"\nlr = 0.05\nmax_iter = 5\nline_search_fn = "strong_wolfe"', "closure",
     lambda ps: T.LBFGS(ps, lr=0.05, max_iter=5, line_search_fn="strong_wolfe")),
    ("lion/weight_decay", 'kind = "lion"\nlr = 0.01\nbeta1 = 0.8\nbeta2 = 0.95\nweight_decay = 0.5',
     lambda ps: Lion(ps, lr=0.01, betas=(0.8, 0.95), weight_decay=0.5)),
]


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.normpath(
        os.path.join(here, "..", "src", "optim", "golden", "optimizers.json"))
    torch.set_num_threads(1)
    p0, grads = data()
    mp0, mgrads = mlp_data()
    cases = []
    for name, toml, *rest in CASES:
        if isinstance(rest[0], tuple):
            ys, xs = schedule_free_trajectories(rest[1], rest[0][1], p0, grads)
            cases.append({"name": name, "toml": toml, "want": ys, "want_eval": xs})
        elif rest[0] == "closure":
            a, b = problem()
            cases.append({
                "name": name, "toml": toml,
                "problem": {"a": [[float(x) for x in r] for r in a], "b": [float(x) for x in b], "l2": L2},
                "want": closure_trajectory(rest[1], p0)[:2 if name.endswith(("_zoom", "_extrapolate")) else None],
            })
        elif rest[0] == "mlp":
            cases.append({
                "name": name, "toml": toml, "layout": MLP_LAYOUT,
                **({"tol": 1e-2} if name.startswith("muon") and "f32" not in name else {}),
                "p0": [float(x) for x in mp0], "grads": [[float(x) for x in g] for g in mgrads],
                "want": mlp_trajectory(rest[1], mp0, mgrads),
            })
        else:
            cases.append({"name": name, "toml": toml, "want": trajectory(rest[0], p0, grads)})
    doc = {
        "generator": "scripts/golden_optimizers.py",
        "torch": torch.__version__,
        "p0": [float(x) for x in p0],
        "grads": [[float(x) for x in g] for g in grads],
        "cases": cases,
    }
    with open(out, "w") as f:
        json.dump(doc, f, indent=None, separators=(",", ":"))
        f.write("\n")
    print(f"wrote {len(cases)} cases to {out}")


if __name__ == "__main__":
    main()
