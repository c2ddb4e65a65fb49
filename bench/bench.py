#!/usr/bin/env python3
"""The reference workload, lrtrain against PyTorch on the same machine, one after the other.

    python3 bench/bench.py            # 3-8 minutes: 5 settings x 2 alternating rounds
    python3 bench/bench.py --full     # every batch (32, 128, 1024) x optimizer x threads (1, 2)

MLP 784-128-10 (ReLU, softmax cross-entropy) on Fashion-MNIST's 60,000 training images,
evaluation on the 10,000 test images after each epoch (configs/fashion-mnist.toml). For each
setting it runs `lrtrain train` and then bench/torch_ref.py (PyTorch's efficient loop) with the
same batch, optimizer, rate and threads, alternately, --rounds times, and prints seconds per
training epoch (medians over epochs 2..N of every run: the first warms caches and pools), their ratio, lrtrain's GFLOP/s (24.5 GFLOP of
matrix products per epoch), the test accuracy after the last epoch, and the load average
before each run. Then: PyTorch's large-GEMM throughput, lrtrain's start-up to the first batch
and evaluation time (examples/workload.rs), and the peak resident memory of `lrtrain train`.

Never run two benchmarks at once on a small machine. Not part of `cargo test` or `.ci/run`.
PyTorch comes from /tmp/torchenv/bin/python if it exists, else python3 (`pip install torch
numpy` if it is missing); TORCH_PYTHON overrides.
"""
import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CONFIG = os.path.join(ROOT, "configs", "fashion-mnist.toml")
GFLOP_PER_EPOCH = 2 * 60000 * (784 * 128 * 2 + 128 * 10 * 3) / 1e9  # 24.55: x.W1, dW1, h.W2, dW2, dh


def load_avg():
    return "/".join(f"{x:.1f}" for x in os.getloadavg())


def torch_python():
    for cand in [os.environ.get("TORCH_PYTHON"), "/tmp/torchenv/bin/python", sys.executable, "python3"]:
        if cand and shutil.which(cand) and subprocess.run(
                [cand, "-c", "import torch, numpy"], capture_output=True).returncode == 0:
            return cand
    sys.exit("bench: PyTorch not found; install it with `pip install torch numpy` "
             "(or set TORCH_PYTHON to a python that has it)")


def build(tmp):
    """Builds in release and copies the binaries, so a parallel build cannot swap them mid-run."""
    subprocess.run(["cargo", "build", "--release", "--quiet", "--bin", "lrtrain", "--example", "workload"],
                   cwd=ROOT, check=True)
    target = os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))
    bins = {}
    for name, rel in [("lrtrain", "release/lrtrain"), ("workload", "release/examples/workload")]:
        bins[name] = os.path.join(tmp, name)
        shutil.copy2(os.path.join(target, rel), bins[name])
    return bins


def sets(s):
    args = ["--set", f"train.batch_size={s['batch']}", "--set", f"optimizer.kind={s['opt']}",
            "--set", f"optimizer.lr={s['lr']}", "--set", f"threads={s['threads']}"]
    return args


def run_lrtrain(bins, s, tmp):
    out = os.path.join(tmp, "run")
    subprocess.run([bins["lrtrain"], "train", "--config", CONFIG, "--epochs", str(s["epochs"]),
                    "--out", out, "--force", "-q"] + sets(s), check=True)
    with open(os.path.join(out, "metrics.csv")) as f:
        header = f.readline().strip().split(",")
        rows = [dict(zip(header, line.strip().split(","))) for line in f if line.strip()]
    secs = [float(r["seconds"]) for r in rows]
    return statistics.median(secs[1:] or secs), float(rows[-1]["val_accuracy"]), secs


def run_torch(py, s):
    p = subprocess.run([py, os.path.join(ROOT, "bench", "torch_ref.py"), "--opt", s["opt"], "--lr", str(s["lr"]),
                        "--batch", str(s["batch"]), "--threads", str(s["threads"]), "--epochs", str(s["epochs"])],
                       capture_output=True, text=True, check=True)
    summary = json.loads([l for l in p.stdout.splitlines() if l.startswith("SUMMARY ")][-1][8:])
    return summary


def peak_rss_mb(cmd):
    """Maximum resident set size of `cmd`, in MB, measured by a fresh python (getrusage of its child)."""
    code = ("import resource, subprocess, sys; subprocess.run(sys.argv[1:], check=True); "
            "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")
    p = subprocess.run([sys.executable, "-c", code] + cmd, capture_output=True, text=True, check=True)
    return int(p.stdout.strip().splitlines()[-1]) / 1024


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--full", action="store_true", help="every batch x optimizer x thread count")
    ap.add_argument("--epochs", type=int, default=5, help="epochs per run (the main setting: 10)")
    ap.add_argument("--rounds", type=int, default=2, help="lrtrain/PyTorch runs per setting, alternating")
    a = ap.parse_args()
    py = torch_python()
    tmp = tempfile.mkdtemp(prefix="lrtrain-bench-")
    bins = build(tmp)
    adam, sgd = ("adam", 1e-3), ("sgd", 0.1)
    if a.full:
        grid = [(b, o, t) for t in (2, 1) for o in (adam, sgd) for b in (128, 32, 1024)]
    else:
        grid = [(128, adam, 2), (32, adam, 2), (1024, adam, 2), (128, adam, 1), (128, sgd, 2)]
    # The main setting's first run goes 10 epochs, for the accuracy target.
    settings = [dict(batch=b, opt=o[0], lr=o[1], threads=t, epochs=a.epochs,
                     first=10 if (b, o, t) == (128, adam, 2) else a.epochs) for b, o, t in grid]

    tv = subprocess.run([py, "-c", "import torch; print(torch.__version__)"], capture_output=True,
                        text=True).stdout.strip()
    rv = subprocess.run(["rustc", "--version"], capture_output=True, text=True).stdout.strip()
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
    print(f"# {cpu}, {os.cpu_count()} cores; {rv}; torch {tv}")
    print(f"# s/epoch: median over epochs 2..N of {a.rounds} alternating runs each, training steps only "
          "(evaluation excluded); ratio = lrtrain / PyTorch; GFLOP/s = 24.55 / lrtrain s/epoch; "
          "accuracy on the 10,000 test images after the first run; epochs = per run; load = 1-min load average before each round")
    print()
    print("| batch | optimizer | threads | epochs | lrtrain s/epoch | PyTorch s/epoch | ratio | lrtrain GFLOP/s "
          "| lrtrain test acc | PyTorch test acc | load per round |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    results = {}
    for s in settings:
        loads, ours_e, ref_e = [], [], []
        for r in range(a.rounds):  # alternate, so a change of load hits both sides alike
            loads.append(os.getloadavg()[0])
            run = dict(s, epochs=s["first"] if r == 0 else s["epochs"])
            _, acc_r, secs = run_lrtrain(bins, run, tmp)
            ref_r = run_torch(py, run)
            ours_e += secs[1:] or secs
            ref_e += ref_r["epoch_s"][1:] or ref_r["epoch_s"]
            if r == 0:
                acc, ref_acc = acc_r, ref_r["test_accuracy"]
        ours, theirs = statistics.median(ours_e), statistics.median(ref_e)
        results[(s["batch"], s["opt"], s["threads"])] = ours
        load = "/".join(f"{x:.1f}" for x in loads)
        runs = "+".join([str(s["first"])] + [str(s["epochs"])] * (a.rounds - 1))
        print(f"| {s['batch']} | {s['opt']} {s['lr']:g} | {s['threads']} | {runs} | {ours:.3f} "
              f"| {theirs:.3f} | {ours / theirs:.2f} | {GFLOP_PER_EPOCH / ours:.0f} | {acc:.4f} | {ref_acc:.4f} "
              f"| {load} |", flush=True)

    print()
    load = load_avg()
    g = [json.loads(subprocess.run([py, os.path.join(ROOT, "bench", "torch_ref.py"), "--gemm", "--threads", "2"],
                                   capture_output=True, text=True, check=True).stdout.split("SUMMARY ")[1])["gemm_gflops"]
         for _ in range(3)]
    gemm = statistics.median(g)
    big = results.get((1024, "adam", 2))
    line = f"large GEMM (torch.mm 2048², 2 threads, median of 3): {gemm:.0f} GFLOP/s (load {load})"
    if big:
        line += f"; lrtrain batch 1024: {GFLOP_PER_EPOCH / big:.0f} GFLOP/s = {GFLOP_PER_EPOCH / big / gemm:.0%} of it"
    print(line)

    starts, evals = [], []
    load = load_avg()
    for _ in range(3):
        p = subprocess.run([bins["workload"], CONFIG, "--epochs", "2", "--set", "threads=2"], cwd=ROOT,
                           capture_output=True, text=True, check=True)
        ph = json.loads(p.stdout.split("PHASES ")[1])
        starts.append(ph["first_batch_s"])
        evals += ph["eval_s"]
    print(f"start-up to the end of the first batch (2 threads, median of 3): {statistics.median(starts):.3f} s; "
          f"evaluation of 10,000 images: {statistics.median(evals):.4f} s (median of {len(evals)}) (load {load})")
    rss = peak_rss_mb([bins["lrtrain"], "train", "--config", CONFIG, "--epochs", "1", "--out",
                       os.path.join(tmp, "rss"), "--force", "-q", "--set", "threads=2"])
    print(f"peak resident memory of `lrtrain train` (1 epoch, 2 threads): {rss:.0f} MB")
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
