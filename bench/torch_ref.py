#!/usr/bin/env python3
"""lrtrain's own PyTorch reference: the same MLP 784-128-10 (or --hidden; ReLU, softmax cross-entropy) on
Fashion-MNIST, trained with PyTorch's efficient loop (tensors preloaded and scaled once, one
randperm per epoch, X[idx] gather per batch), with the settings lrtrain is run with.

Timed per epoch: the training loop only (as lrtrain's metrics.csv `seconds`); evaluation of the
test set is timed separately. Prints one CSV line per epoch and a final `SUMMARY {json}` line.

    python torch_ref.py --opt adam --lr 1e-3 --batch 128 --threads 2 --epochs 5
    python torch_ref.py --gemm --threads 2     # large-GEMM throughput (GFLOP/s) of torch.mm

Needs torch and numpy (`pip install torch numpy`). The data directory defaults to
/usr/share/datasets/fashion-mnist (Debian package dataset-fashion-mnist); FMNIST_DIR overrides.
"""
import argparse
import gzip
import json
import os
import statistics
import struct
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

DATA = os.environ.get("FMNIST_DIR", "/usr/share/datasets/fashion-mnist")


def read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    (magic,) = struct.unpack(">I", data[:4])
    ndim = magic & 0xFF
    dims = struct.unpack(">" + "I" * ndim, data[4 : 4 + 4 * ndim])
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def load():
    def images(name):
        x = read_idx(os.path.join(DATA, name)).reshape(-1, 784).astype(np.float32) / np.float32(255)
        return torch.from_numpy(x)

    def labels(name):
        return torch.from_numpy(read_idx(os.path.join(DATA, name)).astype(np.int64))

    return (
        images("train-images-idx3-ubyte.gz"),
        labels("train-labels-idx1-ubyte.gz"),
        images("t10k-images-idx3-ubyte.gz"),
        labels("t10k-labels-idx1-ubyte.gz"),
    )


def gemm(threads, size=2048, reps=10):
    """Median GFLOP/s of size×size float32 products: the machine's large-GEMM throughput."""
    torch.set_num_threads(threads)
    a, b = torch.rand(size, size), torch.rand(size, size)
    out = torch.empty(size, size)
    torch.mm(a, b, out=out)
    times = []
    for _ in range(reps):
        t = time.perf_counter()
        torch.mm(a, b, out=out)
        times.append(time.perf_counter() - t)
    gflops = 2 * size**3 / statistics.median(times) / 1e9
    print("SUMMARY " + json.dumps(dict(gemm_gflops=gflops, size=size, threads=threads,
                                       torch=torch.__version__)))


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--opt", choices=["sgd", "adam"], default="adam")
    p.add_argument("--lr", type=float, default=None, help="default 0.1 for sgd, 1e-3 for adam")
    p.add_argument("--batch", type=int, default=128)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--epochs", type=int, default=5)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--hidden", default="128", help="hidden widths, comma-separated (e.g. 1024,1024)")
    p.add_argument("--gemm", action="store_true", help="measure large-GEMM GFLOP/s instead")
    a = p.parse_args()
    if a.gemm:
        return gemm(a.threads)
    lr = a.lr if a.lr is not None else (1e-3 if a.opt == "adam" else 0.1)
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    t = time.perf_counter()
    xtr, ytr, xte, yte = load()
    load_s = time.perf_counter() - t
    n = xtr.shape[0]
    widths = [784] + [int(w) for w in a.hidden.split(",") if w] + [10]
    layers = []
    for i in range(len(widths) - 1):
        layers.append(nn.Linear(widths[i], widths[i + 1]))
        if i < len(widths) - 2:
            layers.append(nn.ReLU())
    model = nn.Sequential(*layers)
    if a.opt == "adam":
        opt = torch.optim.Adam(model.parameters(), lr=lr)
    else:
        opt = torch.optim.SGD(model.parameters(), lr=lr)

    @torch.inference_mode()
    def evaluate():
        out = model(xte)
        loss = F.cross_entropy(out, yte).item()
        return loss, (out.argmax(1) == yte).float().mean().item()

    print("epoch,train_loss,test_loss,test_acc,epoch_s,eval_s")
    epoch_s, eval_s, acc = [], [], None
    for epoch in range(a.epochs):
        loss_sum = torch.zeros((), dtype=torch.float64)
        t = time.perf_counter()
        perm = torch.randperm(n)
        for i in range(0, n, a.batch):
            idx = perm[i : i + a.batch]
            xb, yb = xtr[idx], ytr[idx]
            opt.zero_grad(set_to_none=True)
            loss = F.cross_entropy(model(xb), yb)
            loss.backward()
            opt.step()
            with torch.no_grad():
                loss_sum += loss.detach() * xb.shape[0]
        epoch_s.append(time.perf_counter() - t)
        t = time.perf_counter()
        test_loss, acc = evaluate()
        eval_s.append(time.perf_counter() - t)
        print(f"{epoch},{loss_sum.item() / n:.6f},{test_loss:.6f},{acc:.4f},{epoch_s[-1]:.4f},{eval_s[-1]:.4f}",
              flush=True)
    later = epoch_s[1:] or epoch_s
    print("SUMMARY " + json.dumps(dict(
        opt=a.opt, lr=lr, batch=a.batch, hidden=a.hidden, threads=a.threads, epochs=a.epochs, epoch_s=epoch_s,
        median_epoch_s=statistics.median(later), eval_s=statistics.median(eval_s),
        test_accuracy=acc, load_s=load_s, torch=torch.__version__)), flush=True)


if __name__ == "__main__":
    main()
