#!/usr/bin/env python3
"""The reference workload, lrtrain against PyTorch on the same machine, one after the other.

    python3 bench/bench.py            # 5-10 minutes: 6 settings x 3 alternating rounds
    python3 bench/bench.py --full     # every batch (32, 128, 1024) x optimizer x threads (1, 2)

First the machine's floating-point ceiling: examples/fma_peak.rs, register-resident AVX-512 (or
AVX2) FMA chains on 1 and 2 threads, measured at the start and at the end of the session (the
higher is kept); every setting is then reported as a share of the ceiling of its thread count.

MLP 784-128-10 (ReLU, softmax cross-entropy) on Fashion-MNIST's 60,000 training images (and the
wide 784-1024-1024-10 at batch 128 on 2 threads),
evaluation on the 10,000 test images after each epoch (configs/fashion-mnist.toml). For each
setting it runs `lrtrain train` and then bench/torch_ref.py (PyTorch's efficient loop) with the
same batch, optimizer, rate and threads, alternately, --rounds times, and prints seconds per
training epoch (medians over epochs 2..N of every run: the first warms caches and pools), their ratio, lrtrain's GFLOP/s (the
matrix products of an epoch: 24.5 GFLOP for 784-128-10, 571 GFLOP for the wide network) and
its share of the FMA ceiling, the test accuracy after the last epoch, and the load average
before each run. Then: the whole process (start, load, 5 epochs at batch 128 on 1 thread,
write; wall time and peak memory, medians of 3, PyTorch's script beside it), PyTorch's
large-GEMM throughput, lrtrain's start-up to the first batch and evaluation time
(examples/workload.rs).

Never run two benchmarks at once on a small machine. Not part of `cargo test` or `.ci/run`.
PyTorch comes from /tmp/torchenv/bin/python if it exists, else python3 (`pip install torch
numpy` if it is missing); TORCH_PYTHON overrides.
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CONFIG = os.path.join(ROOT, "configs", "fashion-mnist.toml")


def gflop_per_epoch(hidden):
    """Matrix-product GFLOP of one epoch: per layer the forward product and dW, plus dx past the first."""
    widths = [784] + list(hidden) + [10]
    per_row = sum((2 if i == 0 else 3) * widths[i] * widths[i + 1] for i in range(len(widths) - 1))
    return 2 * 60000 * per_row / 1e9



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
    subprocess.run(["cargo", "build", "--release", "--quiet", "--bin", "lrtrain", "--example", "workload",
                    "--example", "fma_peak"], cwd=ROOT, check=True)
    target = os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))
    bins = {}
    for name, rel in [("lrtrain", "release/lrtrain"), ("workload", "release/examples/workload"),
                      ("fma_peak", "release/examples/fma_peak")]:
        bins[name] = os.path.join(tmp, name)
        shutil.copy2(os.path.join(target, rel), bins[name])
    return bins


def sets(s):
    args = ["--set", f"train.batch_size={s['batch']}", "--set", f"optimizer.kind={s['opt']}",
            "--set", f"optimizer.lr={s['lr']}", "--set", f"threads={s['threads']}"]
    if s.get("hidden", [128]) != [128]:
        args += ["--set", f"model.hidden=[{', '.join(map(str, s['hidden']))}]"]
    return args


def fma_peak(bins):
    """GFLOP/s of register-only FMA chains on 1 and 2 threads: {"1": g, "2": g}."""
    p = subprocess.run([bins["fma_peak"]], capture_output=True, text=True, check=True)
    return {int(k): v for k, v in json.loads(p.stdout.split("PEAK ")[1]).items()}


def whole_process(cmd):
    """Wall seconds and peak resident MB of `cmd`, run by a fresh python (getrusage of its child)."""
    code = ("import resource, subprocess, sys, time; t = time.perf_counter(); "
            "subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL); "
            "print(time.perf_counter() - t, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")
    p = subprocess.run([sys.executable, "-c", code] + cmd, capture_output=True, text=True, check=True)
    secs, rss = p.stdout.split()
    return float(secs), int(rss) / 1024


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
                        "--batch", str(s["batch"]), "--threads", str(s["threads"]), "--epochs", str(s["epochs"]),
                        "--hidden", ",".join(map(str, s.get("hidden", [128])))],
                       capture_output=True, text=True, check=True)
    summary = json.loads([l for l in p.stdout.splitlines() if l.startswith("SUMMARY ")][-1][8:])
    return summary


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--full", action="store_true", help="every batch x optimizer x thread count")
    ap.add_argument("--epochs", type=int, default=5, help="epochs per run (the main setting: 10)")
    ap.add_argument("--rounds", type=int, default=3, help="lrtrain/PyTorch runs per setting, alternating")
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
    settings = [dict(batch=b, opt=o[0], lr=o[1], threads=t, epochs=a.epochs, hidden=[128],
                     first=10 if (b, o, t) == (128, adam, 2) else a.epochs) for b, o, t in grid]
    # The wide network: 23x the products per epoch, so fewer epochs.
    wide = max(2, a.epochs // 2)
    settings.append(dict(batch=128, opt="adam", lr=1e-3, threads=2, epochs=wide, hidden=[1024, 1024], first=wide))

    tv = subprocess.run([py, "-c", "import torch; print(torch.__version__)"], capture_output=True,
                        text=True).stdout.strip()
    rv = subprocess.run(["rustc", "--version"], capture_output=True, text=True).stdout.strip()
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
    fam = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("cpu family")), "?")
    peak = fma_peak(bins)
    print(f"# {cpu} (family {fam}), {os.cpu_count()} cores; {rv}; torch {tv}")
    print(f"# FMA ceiling at the start (examples/fma_peak.rs): {peak[1]:.0f} GFLOP/s on 1 thread, "
          f"{peak[2]:.0f} on 2 (load {load_avg()})")
    print(f"# s/epoch: median over epochs 2..N of {a.rounds} alternating runs each, training steps only "
          "(evaluation excluded); ratio = lrtrain / PyTorch; GFLOP/s = matrix-product GFLOP per epoch / "
          "lrtrain s/epoch; % of peak = that / the FMA ceiling of the same thread count (the higher of "
          "the start and end measurements; the ceiling measured just before each setting is shown beside it, "
          "a lower one there means the VM was being slowed); accuracy on the 10,000 test images after the first run; "
          "epochs = per run; load = 1-min load average before each round")
    print()
    rows = []
    for s in settings:
        # The ceiling again just before the setting: on a shared VM it moves with the other
        # tenants, and the share of it is only meaningful measured at the same moment.
        here = fma_peak(bins)[s["threads"]]
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
        runs = "+".join([str(s["first"])] + [str(s["epochs"])] * (a.rounds - 1))
        rows.append((s, ours, theirs, acc, ref_acc, runs, "/".join(f"{x:.1f}" for x in loads), here))
        print(f"# done: {s['batch']} {s['opt']} {s['threads']} {s['hidden']}: {ours:.3f} vs {theirs:.3f}", flush=True)
    end = fma_peak(bins)
    print(f"# FMA ceiling at the end: {end[1]:.0f} GFLOP/s on 1 thread, {end[2]:.0f} on 2 (load {load_avg()})")
    peak = {t: max(peak[t], end[t]) for t in peak}
    print()
    print("| network | batch | optimizer | threads | epochs | lrtrain s/epoch | GFLOP/s | % of FMA peak "
          "| FMA peak just before | PyTorch s/epoch | ratio | lrtrain test acc | PyTorch test acc | load per round |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for s, ours, theirs, acc, ref_acc, runs, load, here in rows:
        gf = gflop_per_epoch(s["hidden"]) / ours
        net = "-".join(map(str, [784] + s["hidden"] + [10]))
        print(f"| {net} | {s['batch']} | {s['opt']} {s['lr']:g} | {s['threads']} | {runs} | {ours:.3f} | {gf:.0f} "
              f"| {gf / peak[s['threads']]:.0%} | {here:.0f} | {theirs:.3f} | {ours / theirs:.2f} | {acc:.4f} "
              f"| {ref_acc:.4f} | {load} |", flush=True)

    print()
    load = load_avg()
    whole, ref_whole = [], []
    for _ in range(3):
        whole.append(whole_process([bins["lrtrain"], "train", "--config", CONFIG, "--epochs", "5", "--out",
                                    os.path.join(tmp, "whole"), "--force", "-q", "--set", "threads=1",
                                    "--set", "train.batch_size=128"]))
        ref_whole.append(whole_process([py, os.path.join(ROOT, "bench", "torch_ref.py"), "--opt", "adam",
                                        "--batch", "128", "--threads", "1", "--epochs", "5"]))
    med = lambda xs, i: statistics.median(x[i] for x in xs)
    print(f"whole process, 5 epochs at batch 128, Adam, 1 thread (start, load, train, evaluate, write; "
          f"median of 3): lrtrain {med(whole, 0):.2f} s, {med(whole, 1):.0f} MB peak; "
          f"PyTorch script {med(ref_whole, 0):.2f} s, {med(ref_whole, 1):.0f} MB (load {load})")

    load = load_avg()
    g = [json.loads(subprocess.run([py, os.path.join(ROOT, "bench", "torch_ref.py"), "--gemm", "--threads", "2"],
                                   capture_output=True, text=True, check=True).stdout.split("SUMMARY ")[1])["gemm_gflops"]
         for _ in range(3)]
    gemm = statistics.median(g)
    print(f"large GEMM (torch.mm 2048², 2 threads, median of 3): {gemm:.0f} GFLOP/s = "
          f"{gemm / peak[2]:.0%} of the FMA ceiling (load {load})")

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
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
