#!/usr/bin/env python3
"""The workloads of bench/compare in PyTorch (Debian's python3-torch), mirroring
bench/workloads.cpp line for line. Usage: workloads.py NAME [--threads N] [key=value ...]; prints
"seconds <s>" for the timed part, like ann_workload."""
import math
import sys
import time

import torch
from torch import nn


def spiral_data(N=1000, C=3, noise=0.2):
    X = torch.zeros(N * C, 2)
    y = torch.zeros(N * C, dtype=torch.long)
    for c in range(C):
        t = torch.linspace(0, 1, N)
        inner = torch.linspace(2 * math.pi / C * c, 2 * math.pi / C * (2 + c), N) + torch.randn(N) * noise
        X[N * c:N * (c + 1)] = torch.stack((t * torch.sin(inner), t * torch.cos(inner)), 1)
        y[N * c:N * (c + 1)] = c
    return X, y


def train(model, optimizer, criterion, X, y, epochs=1000, classify=True):
    t0 = time.perf_counter()
    for _ in range(epochs):
        y_pred = model(X)
        loss = criterion(y_pred, y)
        loss.item()
        if classify:
            (y == y_pred.argmax(1)).float().mean().item()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return time.perf_counter() - t0


def spiral(activation):
    torch.manual_seed(12345)
    X, y = spiral_data()
    layers = [nn.Linear(2, 100)] + ([nn.ReLU()] if activation else []) + [nn.Linear(100, 3)]
    model = nn.Sequential(*layers)
    opt = (torch.optim.Adam if activation else torch.optim.SGD)(model.parameters(), lr=1e-3, weight_decay=1e-5)
    return train(model, opt, nn.CrossEntropyLoss(), X, y)


def regression():
    t0 = time.perf_counter()
    torch.manual_seed(1)
    X = torch.linspace(-1, 1, 100).unsqueeze(1)
    y = X.pow(3) + 0.3 * torch.rand(X.size())
    model = nn.Sequential(nn.Linear(1, 100), nn.Linear(100, 1))
    train(model, torch.optim.SGD(model.parameters(), lr=1e-3, weight_decay=1e-5), nn.MSELoss(), X, y,
          classify=False)
    for i in range(10):
        model = nn.Sequential(nn.Linear(1, 100), nn.ReLU() if i < 5 else nn.Tanh(), nn.Linear(100, 1))
        train(model, torch.optim.Adam(model.parameters(), lr=1e-3, weight_decay=1e-5), nn.MSELoss(), X, y,
              classify=False)
        with torch.no_grad():
            model(torch.linspace(-4, 4, 1001).unsqueeze(1))
    return time.perf_counter() - t0


def boundary():
    torch.manual_seed(12345)
    model = nn.Sequential(nn.Linear(2, 100), nn.ReLU(), nn.Linear(100, 3))
    axis = torch.arange(-1.1, 1.1, 0.01)
    xx, yy = torch.meshgrid(axis, axis, indexing="xy")
    mesh = torch.stack((xx.reshape(-1), yy.reshape(-1)), 1)
    with torch.no_grad():
        model(mesh).argmax(1)
        t0 = time.perf_counter()
        for _ in range(20):
            model(mesh).argmax(1)
    return (time.perf_counter() - t0) / 20


def large_step():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(784, 1024), nn.ReLU(), nn.Linear(1024, 1024), nn.ReLU(), nn.Linear(1024, 10))
    X = torch.randn(4096, 784)
    y = torch.randn(4096, 10).argmax(1)
    criterion = nn.CrossEntropyLoss()
    opt = torch.optim.SGD(model.parameters(), lr=1e-3)

    def step():
        loss = criterion(model(X), y)
        opt.zero_grad()
        loss.backward()
        opt.step()

    step()
    t0 = time.perf_counter()
    for _ in range(3):
        step()
    return (time.perf_counter() - t0) / 3


# `ann train`'s default network and loop on a real table, as bench/workloads.cpp's table().
TABLE_EPOCHS = 100


def table(file, target):
    import csv
    import os
    with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "examples", "data", file)) as f:
        rows = list(csv.reader(f))
    t = rows[0].index(target)
    X = torch.tensor([[float(v) for i, v in enumerate(r) if i != t] for r in rows[1:]], dtype=torch.float32)
    labels = [r[t] for r in rows[1:]]
    regression = file == "diabetes.csv"
    torch.manual_seed(0)
    X = (X - X.mean(0)) / X.std(0, unbiased=False)
    if regression:
        y = torch.tensor([[float(v)] for v in labels])
        y = (y - y.mean(0)) / y.std(0, unbiased=False)
        out, criterion = 1, nn.functional.mse_loss
    else:
        names = sorted(set(labels))
        y = torch.tensor([names.index(v) for v in labels])
        out, criterion = len(names), nn.functional.cross_entropy
    model = nn.Sequential(nn.Linear(X.shape[1], 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, out))
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(X, y), batch_size=32, shuffle=True)
    t0 = time.perf_counter()
    for _ in range(TABLE_EPOCHS):
        for xb, yb in loader:
            y_pred = model(xb)
            loss = criterion(y_pred, yb)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    return time.perf_counter() - t0


# The shape sweep of bench/compare --sweep, as bench/workloads.cpp's mlp(): one fully connected
# network, a loss, an optimizer, mini-batches of consecutive rows, cycled; the time of `steps`
# steps after the warm-up (one step, and one on the cycle's shorter last batch if any).
ACTIVATIONS = {"relu": nn.ReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid, "leaky_relu": nn.LeakyReLU, "elu": nn.ELU,
               "gelu": nn.GELU, "silu": nn.SiLU, "softplus": nn.Softplus}
LOSSES = {"cross_entropy": nn.CrossEntropyLoss, "mse": nn.MSELoss, "l1": nn.L1Loss, "huber": nn.HuberLoss,
          "bce_with_logits": nn.BCEWithLogitsLoss}
OPTIMIZERS = {
    "sgd": lambda p: torch.optim.SGD(p, lr=1e-3),
    "sgd_momentum": lambda p: torch.optim.SGD(p, lr=1e-3, momentum=0.9),
    "adam": lambda p: torch.optim.Adam(p, lr=1e-3),
    "adamw": lambda p: torch.optim.AdamW(p, lr=1e-3),
    "rmsprop": lambda p: torch.optim.RMSprop(p, lr=1e-3),
    "adagrad": lambda p: torch.optim.Adagrad(p, lr=1e-3),
}


def mlp(spec):
    n_in, n_out, rows, batch, steps = (int(spec[k]) for k in ("in", "out", "rows", "batch", "steps"))
    bias = spec["bias"] == "1"
    torch.manual_seed(0)
    layers, width = [], n_in
    for w in (int(v) for v in spec["widths"].split(",") if v):
        layers += [nn.Linear(width, w, bias=bias), ACTIVATIONS[spec["act"]]()]
        width = w
    model = nn.Sequential(*layers, nn.Linear(width, n_out, bias=bias))
    X = torch.randn(rows, n_in)
    if spec["loss"] == "cross_entropy":
        y = torch.randint(0, n_out, (rows,))
    elif spec["loss"] == "bce_with_logits":
        y = (torch.rand(rows, n_out) > 0.5).float()
    else:
        y = torch.randn(rows, n_out)
    criterion = LOSSES[spec["loss"]]()
    optimizer = OPTIMIZERS[spec["opt"]](model.parameters())
    next_row = 0

    def train_on(first, n):
        xb, yb = X[first:first + n], y[first:first + n]
        loss = criterion(model(xb), yb)
        optimizer.zero_grad(set_to_none=True)  # PyTorch 2's default, and ann's: the same work
        loss.backward()
        optimizer.step()
        return loss

    def step():
        nonlocal next_row
        first = next_row
        n = min(batch, rows - first)
        next_row = 0 if first + n == rows else first + n
        return train_on(first, n)

    # the 10th timed step's loss (the last's, if fewer) and the last's, as ann_workload mlp keeps them
    early = last = step().detach()
    # and a warm-up step on the cycle's shorter last batch, as ann_workload mlp
    tail = rows % batch
    if tail and rows > batch:
        train_on(rows - tail, tail)
    early_step = min(steps, 10) - 1
    t0 = time.perf_counter()
    for s in range(steps):
        loss = step()
        if s == early_step:
            early = loss.detach()
        if s == steps - 1:
            last = loss.detach()
        del loss  # no step's loss outlives its step
    seconds = time.perf_counter() - t0
    print("early_loss %.9g\nloss %.9g" % (early.item(), last.item()))
    return seconds


WORKLOADS = {
    "table_iris": lambda: table("iris.csv", "species"),
    "table_wine": lambda: table("wine.csv", "cultivar"),
    "table_breast_cancer": lambda: table("breast_cancer.csv", "diagnosis"),
    "table_digits": lambda: table("digits.csv", "digit"),
    "table_diabetes": lambda: table("diabetes.csv", "progression"),
    "spiral_relu_adam": lambda: spiral(True),
    "spiral_linear_sgd": lambda: spiral(False),
    "regression": regression,
    "boundary": boundary,
    "large_step": large_step,
}

if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in list(WORKLOADS) + ["mlp"]:
        sys.exit("usage: workloads.py " + "|".join(WORKLOADS) + "|mlp [--threads N] [key=value ...]")
    args, threads, spec = sys.argv[2:], 1, {}
    while args:
        if args[0] == "--threads" and len(args) > 1:
            threads, args = int(args[1]), args[2:]
        else:
            key, _, value = args[0].partition("=")
            spec[key], args = value, args[1:]
    torch.set_num_threads(threads)
    print("seconds %.6f" % (mlp(spec) if sys.argv[1] == "mlp" else WORKLOADS[sys.argv[1]]()))
