#!/usr/bin/env python3
"""Golden rates for the schedules of the second version, from the reference implementations.

Writes tests/golden/schedules/<case>.toml (the [optimizer] and [schedule] tables lrtrain runs)
and <case>.csv (step,lr: the rate PyTorch's optimizer holds for each of 200 steps, read before
the step as a training loop would use it). tests/golden_schedules_v2.rs runs `lrtrain schedule
--epochs 2 --steps-per-epoch 100` on each and compares every rate to 1e-9 relative.

Run with a Python that has torch:  python scripts/golden_schedules_v2.py
"""

import math
import os

import torch
from torch.optim.lr_scheduler import (
    ChainedScheduler,
    ConstantLR,
    CosineAnnealingLR,
    ExponentialLR,
    LambdaLR,
    MultiplicativeLR,
    StepLR,
)

STEPS = 200
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "golden", "schedules")


def hf_wsd_lambda(step, *, warmup, stable, decay, decay_type, min_lr_ratio):
    """Transcribed from HF transformers `_get_wsd_scheduler_lambda` (optimization.py,
    get_wsd_schedule) with warmup_type "linear" and num_cycles 0.5; "sqrt" is its "1-sqrt"."""
    if step < warmup:
        progress = float(step) / float(max(1, warmup))
        factor = progress * (1.0 - min_lr_ratio) + min_lr_ratio
        return max(0.0, factor)
    if step < warmup + stable:
        return 1.0
    if step < warmup + stable + decay:
        progress = float(step - warmup - stable) / float(max(1, decay))
        if decay_type == "linear":
            factor = 1.0 - progress
        elif decay_type == "cosine":
            factor = 0.5 * (1.0 + math.cos(math.pi * 0.5 * 2.0 * progress))
        else:
            factor = 1.0 - math.sqrt(progress)
        factor = factor * (1.0 - min_lr_ratio) + min_lr_ratio
        return max(0.0, factor)
    return min_lr_ratio


def hf_wsd(warmup, decay_fraction, decay_type, min_lr_ratio):
    total = STEPS - warmup  # lrtrain's omitted total: the run after warmup
    decay = math.floor(decay_fraction * total)
    stable = total - decay
    return lambda opt: LambdaLR(
        opt,
        lambda s: hf_wsd_lambda(
            s, warmup=warmup, stable=stable, decay=decay, decay_type=decay_type, min_lr_ratio=min_lr_ratio
        ),
    )


# name -> (lr0, lrtrain [schedule] table, the PyTorch scheduler on an optimizer)
CASES = {
    "wsd_cosine": (
        0.1,
        'kind = "wsd"\nwarmup = 20\ndecay = "cosine"',
        hf_wsd(20, 0.2, "cosine", 0.0),
    ),
    "wsd_linear_min_lr": (
        0.1,
        # HF mixes min_lr_ratio into its warmup too: warmup_start_factor = min_lr_ratio.
        'kind = "wsd"\nwarmup = 10\nwarmup_start_factor = 0.1\ndecay_fraction = 0.3\ndecay = "linear"\nmin_lr = 0.01',
        hf_wsd(10, 0.3, "linear", 0.1),
    ),
    "wsd_sqrt": (
        0.05,
        'kind = "wsd"\ndecay_fraction = 0.25\ndecay = "sqrt"',
        hf_wsd(0, 0.25, "1-sqrt", 0.0),
    ),
    "constant_factor_defaults": (
        0.3,
        'kind = "constant_factor"',
        lambda opt: ConstantLR(opt),
    ),
    "constant_factor_epoch": (
        0.3,
        'kind = "constant_factor"\nunit = "epoch"\nfactor = 0.25\ntotal = 1',
        # stepped once per epoch of 100 steps
        None,
    ),
    "multiplicative": (
        0.2,
        'kind = "multiplicative"\nfactor = 0.97',
        lambda opt: MultiplicativeLR(opt, lambda _: 0.97),
    ),
    "expr_inverse_sqrt": (
        0.01,
        'kind = "expr"\nexpr = "lr0 * min(1, sqrt(20 / (step + 1)))"',
        lambda opt: LambdaLR(opt, lambda s: min(1.0, math.sqrt(20 / (s + 1)))),
    ),
    "expr_cosine_of_t": (
        0.1,
        'kind = "expr"\nexpr = "lr0 * (0.5 + 0.5 * cos(pi * t / total_steps)) * 0.9 ^ floor(epoch)"',
        lambda opt: LambdaLR(
            opt, lambda s: (0.5 + 0.5 * math.cos(math.pi * s / STEPS)) * 0.9 ** math.floor(s // 100)
        ),
    ),
    "chain_constant_exponential": (
        0.1,
        'kind = "chain"\nschedules = [{ kind = "constant_factor", factor = 0.5, total = 30 }, { kind = "exponential", decay_rate = 0.98 }]',
        lambda opt: ChainedScheduler([ConstantLR(opt, factor=0.5, total_iters=30), ExponentialLR(opt, gamma=0.98)]),
    ),
    "chain_cosine_step": (
        0.1,
        'kind = "chain"\nschedules = [{ kind = "cosine", total = 250 }, { kind = "step", step_size = 50, gamma = 0.5 }]',
        lambda opt: ChainedScheduler([CosineAnnealingLR(opt, T_max=250), StepLR(opt, step_size=50, gamma=0.5)]),
    ),
}


def rates(lr0, make):
    param = torch.nn.Parameter(torch.zeros(1, dtype=torch.float64))
    opt = torch.optim.SGD([param], lr=lr0)
    sched = make(opt)
    out = []
    for _ in range(STEPS):
        out.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    return out


def epoch_rates(lr0):
    """constant_factor_epoch: ConstantLR(factor=0.25, total_iters=1) stepped once per epoch."""
    param = torch.nn.Parameter(torch.zeros(1, dtype=torch.float64))
    opt = torch.optim.SGD([param], lr=lr0)
    sched = ConstantLR(opt, factor=0.25, total_iters=1)
    out = []
    for _ in range(STEPS // 100):
        out.extend([opt.param_groups[0]["lr"]] * 100)
        opt.step()
        sched.step()
    return out


def main():
    os.makedirs(OUT, exist_ok=True)
    for name, (lr0, table, make) in CASES.items():
        lrs = epoch_rates(lr0) if make is None else rates(lr0, make)
        with open(os.path.join(OUT, name + ".toml"), "w") as f:
            f.write(f"# Generated by scripts/golden_schedules_v2.py (torch {torch.__version__}).\n")
            f.write(f'[optimizer]\nkind = "sgd"\nlr = {lr0!r}\n\n[schedule]\n{table}\n')
        with open(os.path.join(OUT, name + ".csv"), "w") as f:
            f.write("step,lr\n")
            for step, lr in enumerate(lrs):
                f.write(f"{step},{lr!r}\n")


if __name__ == "__main__":
    main()
