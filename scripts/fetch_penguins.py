#!/usr/bin/env python3
"""Fetch the Palmer penguins table into data/penguins/penguins.csv.

The CSV ships inside the `palmerpenguins` package on PyPI (package code MIT, data CC0). This
downloads the pinned wheel with pip (no install, no dependencies), checks the CSV's SHA-256 and
copies it out unchanged. Run from anywhere: python3 scripts/fetch_penguins.py
"""

import hashlib
import pathlib
import subprocess
import sys
import tempfile
import zipfile

VERSION = "0.1.6"
MEMBER = "palmerpenguins/data/penguins.csv"
SHA256 = "f204db2c753b0937caac3cb35258562c14f073e4bbc76be24b4c51ce22767a93"
OUT = pathlib.Path(__file__).resolve().parent.parent / "data" / "penguins" / "penguins.csv"


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(
            [sys.executable, "-m", "pip", "download", f"palmerpenguins=={VERSION}",
             "--no-deps", "--only-binary=:all:", "-d", tmp],
            check=True,
        )
        wheels = list(pathlib.Path(tmp).glob("palmerpenguins-*.whl"))
        if len(wheels) != 1:
            print(f"expected one wheel, found {wheels}", file=sys.stderr)
            return 1
        with zipfile.ZipFile(wheels[0]) as z:
            data = z.read(MEMBER)
    digest = hashlib.sha256(data).hexdigest()
    if digest != SHA256:
        print(f"{MEMBER}: expected SHA-256 {SHA256}, found {digest}", file=sys.stderr)
        return 1
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_bytes(data)
    rows = data.count(b"\n") - 1
    print(f"wrote {OUT} ({len(data)} bytes, {rows} rows)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
