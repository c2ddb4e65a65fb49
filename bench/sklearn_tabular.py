#!/usr/bin/env python3
"""scikit-learn on exactly the rows lrtrain trained and validated on, for the tabular examples.

    python3 bench/sklearn_tabular.py runs/penguins runs/penguins-mass

For each run directory it reads config.toml (the CSV, target, ignored and categorical columns)
and preprocessing.json (the file lines of lrtrain's validation rows, the dropped-row policy),
rebuilds the same training / validation split, and fits a Pipeline of a ColumnTransformer
(StandardScaler on the numeric columns, OneHotEncoder(handle_unknown="ignore") on the categorical
ones) and an MLPClassifier / MLPRegressor with the run's hidden layer widths, Adam rate, batch
size and epochs. It prints lrtrain's
final validation metric beside scikit-learn's (accuracy, or RMSE in the target's units), over
five scikit-learn seeds. Needs scikit-learn (and its numpy); reads nothing else.
"""

import csv
import json
import pathlib
import statistics
import sys
import tomllib
import warnings

from sklearn.compose import ColumnTransformer
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import accuracy_score, mean_squared_error
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

MISSING = {"", "NA", "N/A", "NaN", "nan", "null", "?"}


def rows_with_lines(path, delimiter):
    """(line, row dict) per data record; lines as an editor counts them (header = 1)."""
    with open(path, newline="") as f:
        reader = csv.DictReader(f, delimiter=delimiter)
        out = []
        for row in reader:
            out.append((reader.line_num, {k: v.strip() for k, v in row.items()}))
        return out


warnings.filterwarnings("ignore", category=ConvergenceWarning)


def bench(run):
    run = pathlib.Path(run)
    cfg = tomllib.loads((run / "config.toml").read_text())
    prep = json.loads((run / "preprocessing.json").read_text())
    summary = json.loads((run / "summary.json").read_text())
    data = cfg["data"]
    target = data["target"]
    columns = [c["name"] for c in prep["columns"]]
    categorical = [c["name"] for c in prep["columns"] if c["kind"] == "categorical"]
    numeric = [c for c in columns if c not in categorical]
    validation = set(prep["validation_lines"])
    train_x, train_y, val_x, val_y = [], [], [], []
    for line, row in rows_with_lines(data["path"], data.get("delimiter", ",")):
        if any(row[c] in MISSING for c in columns + [target]):
            continue  # lrtrain's missing = "drop" (the config says so; checked below)
        x = [float(row[c]) if c in numeric else row[c] for c in columns]
        y = row[target] if prep["task"] == "classification" else float(row[target])
        (val_x if line in validation else train_x).append(x)
        (val_y if line in validation else train_y).append(y)
    assert len(train_x) == prep["rows"]["train"] and len(val_x) == prep["rows"]["validation"]
    idx = {c: i for i, c in enumerate(columns)}
    hidden = tuple(cfg["model"].get("hidden", [128])) if cfg["model"]["kind"] == "mlp" else ()
    lr = cfg["optimizer"]["lr"]
    batch = cfg["train"]["batch_size"]
    epochs = cfg["train"]["epochs"]
    scores = []
    for seed in range(5):
        encode = ColumnTransformer([
            ("num", StandardScaler(), [idx[c] for c in numeric]),
            ("cat", OneHotEncoder(handle_unknown="ignore"), [idx[c] for c in categorical]),
        ])
        # The run's Adam rate, batch size and epochs (sklearn's max_iter counts epochs for adam).
        kw = dict(hidden_layer_sizes=hidden, solver="adam", learning_rate_init=lr,
                  batch_size=batch, max_iter=epochs, random_state=seed)
        model = (MLPClassifier if prep["task"] == "classification" else MLPRegressor)(**kw)
        pipe = Pipeline([("encode", encode), ("mlp", model)]).fit(train_x, train_y)
        pred = pipe.predict(val_x)
        if prep["task"] == "classification":
            scores.append(accuracy_score(val_y, pred))
        else:
            scores.append(mean_squared_error(val_y, pred) ** 0.5)
    final = summary["final"]
    if prep["task"] == "classification":
        ours, what = final["val_accuracy"], "validation accuracy"
    else:
        ours, what = final["val_loss"] ** 0.5, f"validation RMSE ({target})"
    print(f"{run.name}: {len(train_x)} training / {len(val_x)} validation rows; {what}")
    print(f"  lrtrain (seed {cfg['seed']}): {ours:.4f}")
    print(f"  scikit-learn MLP{hidden}, adam lr {lr}, batch {batch}, {epochs} epochs (seeds 0-4): mean {statistics.mean(scores):.4f}, "
          f"min {min(scores):.4f}, max {max(scores):.4f}")


if __name__ == "__main__":
    if len(sys.argv) < 2:
        raise SystemExit(__doc__)
    for r in sys.argv[1:]:
        bench(r)
