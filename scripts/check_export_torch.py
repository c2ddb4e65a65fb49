#!/usr/bin/env python3
"""Check that `lrtrain export` loads into torch.nn.Sequential and agrees with `lrtrain predict`.

    python3 scripts/check_export_torch.py MODEL.safetensors INPUT.csv PREDICTIONS.csv

MODEL.safetensors is `lrtrain export --run RUN --format safetensors --out MODEL.safetensors`;
PREDICTIONS.csv is `lrtrain predict --run RUN --csv INPUT.csv --proba` (classification) or
without --proba (regression). The script rebuilds the network from the tensor names and the
`lrtrain` metadata, applies the metadata's preprocessing (one-hot levels, mean/std) to INPUT.csv
itself, and compares: probabilities (or regression values, relative beyond 1) within 1e-5, and the predicted class.
Rows with a missing cell must have an empty prediction. Exit 0 when everything agrees.
Needs torch and safetensors.
"""

import csv
import json
import sys

import torch
from safetensors import safe_open
from safetensors.torch import load_file

MISSING = {"", "NA", "N/A", "NaN", "nan", "null", "?"}
ACTIVATIONS = {"relu": torch.nn.ReLU, "tanh": torch.nn.Tanh, "sigmoid": torch.nn.Sigmoid}


def build(path):
    with safe_open(path, framework="pt") as f:
        meta = json.loads(f.metadata()["lrtrain"])
    state = load_file(path)
    layers = sorted({int(k.split(".")[0]) for k in state})
    modules = []
    for i, idx in enumerate(layers):
        if idx != 2 * i:
            raise SystemExit(f"expected layer indices 0, 2, 4, ...; found {layers}")
        out_f, in_f = state[f"{idx}.weight"].shape
        modules.append(torch.nn.Linear(in_f, out_f))
        if i < len(layers) - 1:
            modules.append(ACTIVATIONS[meta["activation"]]())
    model = torch.nn.Sequential(*modules)
    model.load_state_dict(state)
    for name, t in state.items():
        assert t.dtype == torch.float32, (name, t.dtype)
    return model.eval(), meta


def encode(meta, row):
    """The model's inputs for one CSV row (a dict), or None when a used cell is missing."""
    x = []
    for name in meta["inputs"]:
        col, _, level = name.partition("=")
        if col in meta["categorical"] and level in meta["categorical"][col]:
            cell = row[col].strip()
            if cell in MISSING:
                return None
            x.append(1.0 if cell == level else 0.0)
        else:
            cell = row[name].strip()
            if cell in MISSING:
                return None
            x.append(float(cell) * meta["scale"])
    if meta["mean"] is not None:
        x = [(v - m) / s for v, m, s in zip(x, meta["mean"], meta["std"])]
    return x


def main(model_path, input_path, predictions_path):
    model, meta = build(model_path)
    with open(input_path, newline="") as f:
        rows = list(csv.DictReader(f))
    with open(predictions_path, newline="") as f:
        preds = list(csv.DictReader(f))
    if len(rows) != len(preds):
        raise SystemExit(f"{len(rows)} input rows but {len(preds)} predictions")
    worst = 0.0
    for i, (row, pred) in enumerate(zip(rows, preds)):
        x = encode(meta, row)
        if x is None:
            assert pred["prediction"] == "", f"row {i}: expected an empty prediction"
            continue
        with torch.no_grad():
            z = model(torch.tensor([x], dtype=torch.float64).float())[0]
        if meta["task"] == "classification":
            p = torch.softmax(z.double(), dim=0)
            theirs = [float(pred[f"p_{c}"]) for c in meta["classes"]]
            worst = max(worst, max(abs(a - b) for a, b in zip(p.tolist(), theirs)))
            assert meta["classes"][int(torch.argmax(z))] == pred["prediction"], (i, pred)
        else:
            # Relative for values far from 1 (f32 carries about 7 digits).
            y = float(pred["prediction"])
            worst = max(worst, abs(float(z[0]) - y) / max(1.0, abs(y)))
    if worst > 1e-5:
        raise SystemExit(f"largest difference {worst:.3g} > 1e-5")
    print(f"ok: {len(rows)} rows, largest difference {worst:.3g}")


if __name__ == "__main__":
    if len(sys.argv) != 4:
        raise SystemExit(__doc__)
    main(*sys.argv[1:])
