#!/usr/bin/env python3
"""Writes tests/fixtures/train_runs.json: `ann train`'s procedure done in PyTorch 1.13, epoch by
epoch, for a few option sets on the tables of examples/data. With the same seed, ann must build the
same split, the same standardisation, the same initial weights, draw the same shuffles and dropout
masks, and so follow the same curves (tests/test_cli_train.cpp compares them).

The procedure (apps/ann/tabular_training.cpp):
  torch.manual_seed(seed)
  train, val = random_split(TensorDataset(X, y), [1 - v, v])
  standardise features (and a regression's target) with the training rows' mean and std (N divisor)
  model = Sequential((Linear, activation[, Dropout]) per hidden layer, Linear)
  loader = DataLoader(train, batch_size, shuffle=True); the optimizer; the schedule
  per epoch: the five-step loop over the loader (the loss's mean over rows, the accuracy or R² of
  the training outputs); then the validation rows in eval mode under no_grad; then the schedule.

How to run:  /usr/bin/python3 tools/parity/make_train_fixtures.py [--out tests/fixtures]
"""
import csv
import math
import os

import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset, random_split

from fixture_io import REPO_ROOT, output_directory, write_fixture

DATA = os.path.join(REPO_ROOT, "examples", "data")

ACTIVATIONS = {"relu": torch.nn.ReLU, "tanh": torch.nn.Tanh, "gelu": torch.nn.GELU, "silu": torch.nn.SiLU}

RUNS = [
    dict(name="iris_adam_dropout", data="iris.csv", target="species", hidden=[64, 64], activation="relu",
         dropout=0.2, batch_size=16, epochs=30, optimizer="adam", lr=1e-3, scheduler="none", seed=0),
    dict(name="wine_sgd_step", data="wine.csv", target="cultivar", hidden=[32], activation="tanh", dropout=0.0,
         batch_size=10, epochs=24, optimizer="sgd", lr=0.01, scheduler="step", seed=7),
    dict(name="diabetes_rmsprop_cosine", data="diabetes.csv", target="progression", hidden=[16, 16],
         activation="silu", dropout=0.1, batch_size=32, epochs=20, optimizer="rmsprop", lr=1e-3,
         scheduler="cosine", seed=3),
]


def read_table(path, target):
    with open(path) as f:
        rows = list(csv.reader(f))
    header, rows = rows[0], rows[1:]
    t = header.index(target)
    X = torch.tensor([[float(v) for i, v in enumerate(r) if i != t] for r in rows], dtype=torch.float32)
    return X, [r[t] for r in rows]


def run(c):
    X, targets = read_table(os.path.join(DATA, c["data"]), c["target"])
    classification = c["data"] != "diabetes.csv"
    if classification:
        numeric = all(s.replace(".", "", 1).lstrip("-").isdigit() for s in targets)
        names = sorted(set(targets), key=float) if numeric else sorted(set(targets))
        y = torch.tensor([names.index(s) for s in targets], dtype=torch.int64)
    else:
        y = torch.tensor([[float(s)] for s in targets], dtype=torch.float32)

    torch.manual_seed(c["seed"])
    train, val = random_split(TensorDataset(X, y), [0.8, 0.2])
    Xt, yt = X[train.indices], y[train.indices]
    Xv, yv = X[val.indices], y[val.indices]
    mean, std = Xt.mean(0), Xt.std(0, unbiased=False)
    std = torch.where(std > 0, std, torch.ones_like(std))
    Xt, Xv = (Xt - mean) / std, (Xv - mean) / std
    if not classification:
        ym, ys = yt.mean(0), yt.std(0, unbiased=False)
        yt, yv = (yt - ym) / ys, (yv - ym) / ys

    layers, width = [], X.shape[1]
    for h in c["hidden"]:
        layers += [torch.nn.Linear(width, h), ACTIVATIONS[c["activation"]]()]
        if c["dropout"] > 0:
            layers.append(torch.nn.Dropout(c["dropout"]))
        width = h
    layers.append(torch.nn.Linear(width, len(names) if classification else 1))
    model = torch.nn.Sequential(*layers)

    params = model.parameters()
    if c["optimizer"] == "adam":
        optimizer = torch.optim.Adam(params, lr=c["lr"])
    elif c["optimizer"] == "sgd":
        optimizer = torch.optim.SGD(params, lr=c["lr"], momentum=0.9)
    else:
        optimizer = torch.optim.RMSprop(params, lr=c["lr"])
    if c["scheduler"] == "step":
        scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=max(1, c["epochs"] // 3), gamma=0.1)
    elif c["scheduler"] == "cosine":
        scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=c["epochs"])
    else:
        scheduler = None

    criterion = F.cross_entropy if classification else F.mse_loss
    loader = DataLoader(TensorDataset(Xt, yt), batch_size=c["batch_size"], shuffle=True)
    history = dict(train_loss=[], train_metric=[], validation_loss=[], validation_metric=[])
    for epoch in range(c["epochs"]):
        model.train()
        loss_sum, right, y_sum, y_squares, seen = 0.0, 0.0, 0.0, 0.0, 0
        for xb, yb in loader:
            y_pred = model(xb)
            loss = criterion(y_pred, yb)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            n = xb.shape[0]
            loss_sum += loss.item() * n
            with torch.no_grad():
                if classification:
                    right += (y_pred.argmax(1) == yb).sum().item()
                else:
                    y_sum += yb.sum().item()
                    y_squares += (yb * yb).sum().item()
            seen += n
        history["train_loss"].append(loss_sum / seen)
        if classification:
            history["train_metric"].append(right / seen)
        else:
            total = y_squares - y_sum * y_sum / seen
            history["train_metric"].append(1 - loss_sum / total)
        model.eval()
        with torch.no_grad():
            out = model(Xv)
            history["validation_loss"].append(criterion(out, yv, reduction="sum").item() / yv.numel())
            if classification:
                history["validation_metric"].append((out.argmax(1) == yv).double().mean().item())
            else:
                ss_res = ((yv.double() - out.double()) ** 2).sum().item()
                ss_tot = ((yv.double() - yv.double().mean()) ** 2).sum().item()
                history["validation_metric"].append(1 - ss_res / ss_tot)
        if scheduler is not None:
            scheduler.step()
    assert all(math.isfinite(v) for v in history["train_loss"])
    return dict(config=c, **history)


def main():
    out = output_directory(__doc__)
    write_fixture(out, "train_runs.json", "make_train_fixtures.py", {"runs": [run(c) for c in RUNS]})


if __name__ == "__main__":
    main()
