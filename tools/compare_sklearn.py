#!/usr/bin/env python3
"""Compares `ann train` with scikit-learn's MLPClassifier / MLPRegressor on the tables of
examples/data, on the same splits: for each seed, ann's validation rows are those that
torch.utils.data.random_split(dataset, [0.8, 0.2]) picks after torch.manual_seed(seed), which is
the split `ann train --seed S` makes. scikit-learn gets its usual pipeline (StandardScaler, then
the MLP with its defaults: one hidden layer of 100, Adam, 200 epochs, early stopping off; a
regression's target standardised as well), ann
its defaults (two hidden layers of 64, ReLU, Adam, 100 epochs, batches of 32). Prints a Markdown
table of the validation accuracy (R² for the regression), mean and range over the seeds, for ann's
defaults and for ann with scikit-learn's settings (--hidden 100 --batch-size 200 --epochs 200).

How to run (after building ann):
  /usr/bin/python3 tools/compare_sklearn.py [--ann build/apps/ann] [--seeds 5]
"""
import argparse
import csv
import json
import os
import subprocess
import tempfile
import time
import warnings

import numpy as np
import torch
from sklearn.compose import TransformedTargetRegressor
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from torch.utils.data import random_split

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TABLES = [("iris", "species"), ("wine", "cultivar"), ("breast_cancer", "diagnosis"), ("digits", "digit"),
          ("diabetes", "progression")]


def read(path, target):
    with open(path) as f:
        rows = list(csv.reader(f))
    t = rows[0].index(target)
    X = np.array([[float(v) for i, v in enumerate(r) if i != t] for r in rows[1:]], dtype=np.float32)
    return X, [r[t] for r in rows[1:]]


def split(n, seed):
    torch.manual_seed(seed)
    train, val = random_split(range(n), [0.8, 0.2])
    return list(train.indices), list(val.indices)


# scikit-learn's MLP defaults in ann's options: one hidden layer of 100, batches of 200, 200 epochs.
SKLEARN_SETTINGS = ["--hidden", "100", "--batch-size", "200", "--epochs", "200"]


def ann_train(ann, path, target, seed, options):
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "run.json")
        subprocess.run([ann, "train", "--data", path, "--target", target, "--seed", str(seed), "--quiet", "--json", out]
                       + options, check=True, stdout=subprocess.DEVNULL)
        with open(out) as f:
            return json.load(f)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--ann", default=os.path.join(REPO_ROOT, "build", "apps", "ann"))
    parser.add_argument("--seeds", type=int, default=10)
    args = parser.parse_args()
    warnings.simplefilter("ignore", ConvergenceWarning)
    print("| data set | rows × features | task | scikit-learn MLP | ann train | ann train, sklearn's settings "
          "| ann s/run | sklearn s/run |")
    print("|---|---|---|---|---|---|---|---|")
    for name, target in TABLES:
        path = os.path.join(REPO_ROOT, "examples", "data", name + ".csv")
        X, y = read(path, target)
        regression = name == "diabetes"
        y = np.array([float(v) for v in y]) if regression else np.array(y)
        ours, alike, theirs, ours_s, theirs_s = [], [], [], 0.0, 0.0
        for seed in range(args.seeds):
            train, val = split(len(X), seed)
            if regression:  # the target standardised too, as ann does (unscaled, the MLP does not converge)
                model = TransformedTargetRegressor(make_pipeline(StandardScaler(), MLPRegressor(random_state=seed)),
                                                   transformer=StandardScaler())
            else:
                model = make_pipeline(StandardScaler(), MLPClassifier(random_state=seed))
            start = time.perf_counter()
            model.fit(X[train], y[train])
            theirs_s += time.perf_counter() - start
            theirs.append(model.score(X[val], y[val]))  # accuracy, or R²
            key = "r2" if regression else "accuracy"
            run = ann_train(args.ann, path, target, seed, [])
            ours_s += run["seconds"]
            ours.append(run["validation"][key])
            alike.append(ann_train(args.ann, path, target, seed, SKLEARN_SETTINGS)["validation"][key])
        metric = "R²" if regression else "accuracy"
        shown = lambda v: "%.3f (%.3f–%.3f)" % (np.mean(v), min(v), max(v))
        print("| %s | %d × %d | %s | %s | %s | %s | %.2f | %.2f |" % (name, X.shape[0], X.shape[1],
              "regression, " + metric if regression else "%d classes, %s" % (len(set(y)), metric),
              shown(theirs), shown(ours), shown(alike), ours_s / args.seeds, theirs_s / args.seeds))


if __name__ == "__main__":
    main()
