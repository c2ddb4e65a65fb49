#!/usr/bin/env python3
"""Write data/linear.csv: 100 rows `x,y` with x ~ U[0, 10] and y = 2x + 3 + N(0, 1).

Usage: python3 scripts/make_linear_csv.py [OUT_FILE]

Seeded with random.Random(20261122), so the output is reproducible; numbers have 6 decimals.
Only the standard library is used.
"""

import os
import random
import sys

SEED = 20261122
ROWS = 100


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "..", "data", "linear.csv")
    rng = random.Random(SEED)
    lines = ["x,y"]
    for _ in range(ROWS):
        x = rng.uniform(0.0, 10.0)
        y = 2.0 * x + 3.0 + rng.gauss(0.0, 1.0)
        # 6 decimals keep the file readable; far finer than the noise.
        lines.append(f"{x:.6f},{y:.6f}")
    with open(out, "w", encoding="utf-8", newline="\n") as f:
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
