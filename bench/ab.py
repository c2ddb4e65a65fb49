#!/usr/bin/env python3
"""Two lrtrain binaries against each other on bench.py's settings, interleaved: did a change slow
training down?

    python3 bench/ab.py BASELINE_BIN CANDIDATE_BIN [--rounds 5] [--epochs 4]

Build each side with `cargo build --release` (in its own clone or worktree, or with
CARGO_TARGET_DIR) and copy the binaries out first, so a later build cannot swap them mid-run.
Every setting of bench.py (MLP 784-128-10 on Fashion-MNIST at batch 128/32/1024 with Adam on 2
threads, batch 128 on 1 thread, SGD at batch 128, and the wide 784-1024-1024-10) runs
baseline, candidate, baseline, … --rounds times each, alternating, so a change of load on a
shared machine hits both alike. Prints, per setting, each side's median seconds per training
epoch (epochs 2..N of every run: the first warms caches; evaluation excluded, as metrics.csv's
`seconds`) and candidate / baseline; it also checks that both sides wrote the same metrics.csv
apart from `seconds` (same numbers, only the time may differ). Needs Debian's
dataset-fashion-mnist; PyTorch is not needed. Never run two benchmarks at once.
"""
import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench import CONFIG, load_avg, sets  # noqa: E402  (bench.py beside this file)


def run(binary, s, out):
    subprocess.run([binary, "train", "--config", CONFIG, "--epochs", str(s["epochs"]), "--out", out,
                    "--force", "-q"] + sets(s), check=True)
    with open(os.path.join(out, "metrics.csv")) as f:
        header = f.readline().strip().split(",")
        rows = [dict(zip(header, line.strip().split(","))) for line in f if line.strip()]
    secs = [float(r["seconds"]) for r in rows]
    numbers = [{k: v for k, v in r.items() if k != "seconds"} for r in rows]
    return secs[1:] or secs, numbers


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("baseline")
    ap.add_argument("candidate")
    ap.add_argument("--rounds", type=int, default=5, help="runs per side and setting, alternating")
    ap.add_argument("--epochs", type=int, default=4, help="epochs per run (2 for the wide network)")
    a = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="lrtrain-ab-")
    bins = {}
    for side in ("baseline", "candidate"):
        bins[side] = os.path.join(tmp, side)
        shutil.copy2(getattr(a, side), bins[side])
    adam, sgd = ("adam", 1e-3), ("sgd", 0.1)
    grid = [(128, adam, 2, [128]), (32, adam, 2, [128]), (1024, adam, 2, [128]), (128, adam, 1, [128]),
            (128, sgd, 2, [128]), (128, adam, 2, [1024, 1024])]
    print(f"# {a.rounds} alternating rounds per side; s/epoch = median over epochs 2..N of every run; "
          f"load at start {load_avg()}")
    print("| network | batch | optimizer | threads | baseline s/epoch | candidate s/epoch | candidate / baseline "
          "| same numbers |")
    print("|---|---|---|---|---|---|---|---|")
    worst = 0.0
    for batch, (opt, lr), threads, hidden in grid:
        s = dict(batch=batch, opt=opt, lr=lr, threads=threads, hidden=hidden,
                 epochs=max(2, a.epochs // 2) if hidden != [128] else a.epochs)
        secs = {"baseline": [], "candidate": []}
        numbers = {}
        for r in range(a.rounds):
            order = ("baseline", "candidate") if r % 2 == 0 else ("candidate", "baseline")
            for side in order:
                e, n = run(bins[side], s, os.path.join(tmp, side + "-run"))
                secs[side] += e
                numbers[side] = n
        b, c = statistics.median(secs["baseline"]), statistics.median(secs["candidate"])
        worst = max(worst, c / b)
        same = "yes" if numbers["baseline"] == numbers["candidate"] else "NO"
        net = "-".join(map(str, [784] + hidden + [10]))
        print(f"| {net} | {batch} | {opt} {lr:g} | {threads} | {b:.3f} | {c:.3f} | {c / b:.3f} | {same} |",
              flush=True)
    print(f"\n# slowest setting: candidate / baseline = {worst:.3f}; load at end {load_avg()}")
    shutil.rmtree(tmp)


if __name__ == "__main__":
    main()
