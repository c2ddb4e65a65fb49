#!/usr/bin/env python3
"""Reference numbers for src/compare/stats.rs, from SciPy.

Usage: python scripts/golden_stats.py     (needs numpy and scipy; checked with SciPy 1.17.1)

Prints Rust table rows that the tests in src/compare/stats.rs carry verbatim:

1. `PAIRS`: for fixed (leader, row) pairs of per-seed values (higher is better, so d = leader − row)
   - n = 2, 3, 5, 6, 8, 10, 15; ties among |d|; zeros; identical rows; a constant difference; a
   clearly worse row (lr 1e-6 against lr 0.1, 5 seeds) - the two-sided p-values of
   `scipy.stats.ttest_rel(leader, row)` and `scipy.stats.wilcoxon(leader, row,
   zero_method="wilcox")` (defaults otherwise), and the percentile bootstrap interval of the mean
   difference, `scipy.stats.bootstrap((d,), np.mean, method="percentile", n_resamples=10000)`.
   Where SciPy gives NaN (all differences 0) the SPEC's value, 1, is printed instead.
2. `TABLE`: one whole comparison (4 configs, 5 seeds): per row mean, std (ddof=1), bootstrap
   interval of the mean, and against the leader diff, its interval, p (t-test), Holm (by hand, as
   statsmodels' `multipletests(method="holm")`), prob_better, seeds_needed, and p and Holm again
   with the Wilcoxon test.

The bootstrap intervals cannot match bit for bit (a different random generator). Each interval is
printed as the range SciPy's own endpoints take over 200 generator seeds, [[lo min, lo max], [hi min,
hi max]]; the tests accept an endpoint within that range widened by 0.02 of the data's range. (With
5 seeds the resample means are a coarse lattice and an endpoint near a lattice point jumps between
two values from seed to seed.)
"""

import math
import warnings

import numpy as np
import scipy
from scipy import stats

Z = 1.959964 + 0.841621
# Bootstraps per interval, each with its own generator seed, to measure the Monte-Carlo spread.
SEEDS = 200

PAIRS = [
    ("n2", [0.91, 0.93], [0.90, 0.90]),
    ("n3_zero", [0.95, 0.96, 0.94], [0.93, 0.95, 0.94]),
    ("n5_lr_1e-6_vs_0.1", [0.972, 0.968, 0.975, 0.970, 0.971], [0.113, 0.098, 0.105, 0.101, 0.110]),
    ("n6", [0.81, 0.83, 0.80, 0.84, 0.82, 0.85], [0.80, 0.80, 0.81, 0.82, 0.79, 0.83]),
    # Dyadic values: the differences are exact, so |d| ties (0.25 four times, 0.125 three times)
    # and one zero.
    ("n8_ties_zero", [0.75, 0.5, 0.625, 0.875, 0.75, 0.5, 0.625, 0.875],
     [0.5, 0.75, 0.5, 0.625, 0.625, 0.25, 0.625, 0.625]),
    ("n10", [0.912, 0.905, 0.921, 0.899, 0.915, 0.908, 0.917, 0.903, 0.911, 0.920],
     [0.907, 0.909, 0.913, 0.902, 0.906, 0.901, 0.916, 0.897, 0.912, 0.910]),
    # 15 pairs with ties: SciPy switches to the normal approximation (no continuity correction).
    ("n15_ties", [0.5, 0.75, 0.5, 0.625, 0.875, 0.5, 0.75, 0.625, 0.5, 0.75, 0.875, 0.5, 0.625, 0.75, 0.5],
     [0.25, 0.5, 0.5, 0.5, 0.625, 0.625, 0.5, 0.5, 0.25, 0.875, 0.625, 0.375, 0.5, 0.5, 0.375]),
    ("identical", [0.9, 0.8, 0.85, 0.95], [0.9, 0.8, 0.85, 0.95]),
    ("constant_diff", [0.75, 0.5, 0.625, 0.875], [0.5, 0.25, 0.375, 0.625]),
]

# One comparison: val_accuracy (higher is better) of 4 configs over seeds 1..5.
TABLE = [
    ("lr=0.1", [0.972, 0.968, 0.975, 0.970, 0.971]),
    ("lr=0.03", [0.969, 0.970, 0.968, 0.972, 0.966]),
    ("lr=0.01", [0.961, 0.958, 0.963, 0.957, 0.960]),
    ("lr=1e-6", [0.113, 0.098, 0.105, 0.101, 0.110]),
]


def f(x):
    """A float as a Rust literal: repr is the shortest round-trip form, as Rust prints it."""
    return repr(float(x))


def bootstrap_mean(x):
    """SciPy's percentile interval of the mean over SEEDS generator seeds, as
    [[lowest lo, highest lo], [lowest hi, highest hi]]: how far Monte-Carlo error moves it."""
    x = np.asarray(x, dtype=float)
    if np.all(x == x[0]):
        return [[x[0], x[0]], [x[0], x[0]]]  # degenerate: every resample mean is the value
    lo, hi = [], []
    for seed in range(SEEDS):
        ci = stats.bootstrap((x,), np.mean, method="percentile", n_resamples=10000,
                             confidence_level=0.95, rng=np.random.default_rng(seed))
        lo.append(ci.confidence_interval.low)
        hi.append(ci.confidence_interval.high)
    return [[min(lo), max(lo)], [min(hi), max(hi)]]


def ci(c):
    return f"[[{f(c[0][0])}, {f(c[0][1])}], [{f(c[1][0])}, {f(c[1][1])}]]"


def t_p(a, b):
    d = np.subtract(a, b)
    if np.all(d == 0):
        return 1.0  # SPEC; SciPy: NaN
    return stats.ttest_rel(a, b).pvalue


def w_p(a, b):
    d = np.subtract(a, b)
    if np.all(d == 0):
        return 1.0  # SPEC; SciPy: NaN
    return stats.wilcoxon(a, b, zero_method="wilcox").pvalue


def holm(p):
    m = len(p)
    order = sorted(range(m), key=lambda i: p[i])
    out, running = [0.0] * m, 0.0
    for k, i in enumerate(order):
        running = max(running, min(1.0, (m - k) * p[i]))
        out[i] = running
    return out


def main():
    # A constant difference makes SciPy warn of catastrophic cancellation; its p (0) is right.
    warnings.simplefilter("ignore", RuntimeWarning)
    print(f"// scripts/golden_stats.py, SciPy {scipy.__version__}, NumPy {np.__version__}")
    print("// (name, leader, row, t-test p, Wilcoxon p, diff_ci95 from scipy.stats.bootstrap)")
    for name, a, b in PAIRS:
        d = np.subtract(a, b)
        print(f'    ("{name}", &{list(a)}, &{list(b)}, {f(t_p(a, b))}, {f(w_p(a, b))}, '
              f"{ci(bootstrap_mean(d))}),")

    print("// TABLE: (name, mean, std, ci95 lo, ci95 hi, diff, diff_ci95 lo, diff_ci95 hi,")
    print("//         p_value, p_holm, prob_better, seeds_needed, Wilcoxon p_value, Wilcoxon p_holm)")
    means = [np.mean(v) for _, v in TABLE]
    lead = int(np.argmax(means))
    ps, ws = {}, {}
    for i, (_, v) in enumerate(TABLE):
        if i != lead:
            ps[i] = t_p(TABLE[lead][1], v)
            ws[i] = w_p(TABLE[lead][1], v)
    keys = sorted(ps)
    adjusted = dict(zip(keys, holm([ps[k] for k in keys])))
    w_adjusted = dict(zip(keys, holm([ws[k] for k in keys])))
    for i, (name, v) in enumerate(TABLE):
        head = f'    ("{name}", {f(np.mean(v))}, {f(np.std(v, ddof=1))}, {ci(bootstrap_mean(v))}, '
        if i == lead:
            print(head + "None),")
            continue
        d = np.subtract(TABLE[lead][1], v)
        diff = float(np.mean(d))
        sd = float(np.std(d, ddof=1))
        prob = (np.sum(d > 0) + 0.5 * np.sum(d == 0)) / len(d)
        need = math.ceil((Z * sd / abs(diff)) ** 2)
        print(head + f"Some(({f(diff)}, {ci(bootstrap_mean(d))}, {f(ps[i])}, {f(adjusted[i])}, "
              f"{f(prob)}, {need}, {f(ws[i])}, {f(w_adjusted[i])}))),")


if __name__ == "__main__":
    main()
