#!/usr/bin/env python3
"""PyTorch oracle: writes the JSON fixtures that ann's C++ parity tests compare against.

What it generates (into tests/fixtures/ by default):
  spiral_linear_sgd.json    the lesson's linear model on the spiral (expected: acc 0.504)
  spiral_relu_adam.json     ReLU + Adam on the spiral, seeded fresh (a CLI run, not the lesson)
  spiral_tanh3_sgdm.json    3 hidden Tanh layers, SGD with momentum (other code paths)
  spiral_sigmoid_adam.json  4 classes, 2 hidden Sigmoid layers, Adam lr 1e-3
  lesson_spiral.json        the spiral notebook in order: linear model, then ReLU + Adam
                            initialised from the same generator stream (expected: acc 0.949)
  regression.json           the regression notebook: linear fit, 5 ReLU + 5 Tanh nets,
                            predictions on linspace(-4, 4, 1001), ensemble var / std

How to run (PyTorch 1.13 from Debian: apt-get install python3-torch python3-numpy):
  python3 tools/parity/make_fixtures.py [--out tests/fixtures]

The outputs are generated: do not edit them by hand. Each carries "_generated_by" and
"_torch_version". Floats are written with '%.9g', enough to round-trip float32 exactly;
tensors are {"shape": [...], "data": [flat, row-major]}.
"""
import argparse
import json
import math
import os

import torch
from torch import nn, optim

GENERATED_BY = "tools/parity/make_fixtures.py"
REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


# ---------------------------------------------------------------------------- data

def make_spiral(per_class, classes, noise):
    """The spiral notebook's data, literally: X float32 (per_class*classes, 2), y int64."""
    N, D, C = per_class, 2, classes
    X = torch.zeros(N * C, D)
    y = torch.zeros(N * C, dtype=torch.long)
    for c in range(C):
        index = 0
        t = torch.linspace(0, 1, N)
        inner_var = torch.linspace((2 * math.pi / C) * c, (2 * math.pi / C) * (2 + c), N) \
            + torch.randn(N) * noise
        for ix in range(N * c, N * (c + 1)):
            # math.sin of the float32 value in double precision, rounded to float32,
            # then multiplied by t[index] in float32
            X[ix] = t[index] * torch.FloatTensor((math.sin(inner_var[index]),
                                                  math.cos(inner_var[index])))
            y[ix] = c
            index += 1
    return X, y


# ---------------------------------------------------------------------------- models

ACTIVATIONS = {"relu": nn.ReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid, "none": None}


def build_model(D, H, C, layers, activation):
    """Sequential(Linear(D,H), act, [Linear(H,H), act] * (layers-1), Linear(H,C));
    activation 'none' puts no activation modules in at all."""
    act = ACTIVATIONS[activation]
    modules = []
    for i in range(layers):
        modules.append(nn.Linear(D if i == 0 else H, H))
        if act is not None:
            modules.append(act())
    modules.append(nn.Linear(H, C))
    return nn.Sequential(*modules)


def make_optimizer(params, name, lr, momentum=0.0, weight_decay=0.0):
    if name == "sgd":
        return optim.SGD(params, lr=lr, momentum=momentum, weight_decay=weight_decay)
    if name == "adam":
        return optim.Adam(params, lr=lr, weight_decay=weight_decay)
    raise ValueError(f"unknown optimizer {name!r}")


def fit(model, X, y, criterion, optimizer, epochs, classify):
    """The notebooks' loop: forward, loss (and accuracy) recorded BEFORE the step, then
    zero_grad, backward, step. Also keeps the prediction before the first step."""
    losses, accuracies, before = [], [], None
    for t in range(epochs):
        y_pred = model(X)
        if t == 0:
            before = y_pred.detach().clone()
        loss = criterion(y_pred, y)
        losses.append(loss.item())
        if classify:
            score, predicted = torch.max(y_pred, 1)
            acc = (y == predicted).sum().float() / len(y)
            accuracies.append(acc.item())
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return {"loss": losses, "accuracy": accuracies, "before": before}


def params_of(model):
    return {name: value.detach().clone() for name, value in model.state_dict().items()}


# ---------------------------------------------------------------------------- spiral

def train_spiral_model(config, X, y):
    """Initialise a model from the global generator and train it on (X, y)."""
    model = build_model(2, config["hidden"], config["classes"], config["layers"],
                        config["activation"])
    initial = params_of(model)
    optimizer = make_optimizer(model.parameters(), config["optimizer"], config["lr"],
                               config["momentum"], config["weight_decay"])
    run = fit(model, X, y, nn.CrossEntropyLoss(), optimizer, config["epochs"], classify=True)
    return {
        "initial_parameters": initial,
        "loss": run["loss"],
        "accuracy": run["accuracy"],
        "final_loss": run["loss"][-1],
        "final_accuracy": run["accuracy"][-1],
        "final_parameters": params_of(model),
    }


def train_spiral(config):
    """Standalone run: seed, data, model init, training (what `ann spiral ...` does)."""
    torch.manual_seed(config["seed"])
    X, y = make_spiral(config["per_class"], config["classes"], config["noise"])
    return {"config": config, "X": X, "y": y.tolist(), **train_spiral_model(config, X, y)}


SPIRAL_DATA = {"seed": 12345, "per_class": 1000, "classes": 3, "noise": 0.2, "hidden": 100,
               "layers": 1, "lr": 1e-3, "momentum": 0.0, "weight_decay": 1e-5, "epochs": 1000}

# momentum is ignored by Adam (betas 0.9/0.999, eps 1e-8: PyTorch's defaults)
SPIRAL_CONFIGS = {
    "spiral_linear_sgd": {**SPIRAL_DATA, "activation": "none", "optimizer": "sgd"},
    "spiral_relu_adam": {**SPIRAL_DATA, "activation": "relu", "optimizer": "adam"},
    "spiral_tanh3_sgdm": {"seed": 7, "per_class": 200, "classes": 3, "noise": 0.2,
                          "hidden": 10, "layers": 3, "activation": "tanh", "optimizer": "sgd",
                          "lr": 0.05, "momentum": 0.9, "weight_decay": 0.0, "epochs": 1000},
    "spiral_sigmoid_adam": {"seed": 3, "per_class": 300, "classes": 4, "noise": 0.1,
                            "hidden": 50, "layers": 2, "activation": "sigmoid",
                            "optimizer": "adam", "lr": 1e-3, "momentum": 0.0,
                            "weight_decay": 1e-5, "epochs": 1000},
}


def lesson_spiral():
    """The spiral notebook in order: one seed, data, linear model trained, then the ReLU
    model initialised from the same (continuing) generator stream and trained."""
    linear = SPIRAL_CONFIGS["spiral_linear_sgd"]
    relu = SPIRAL_CONFIGS["spiral_relu_adam"]
    torch.manual_seed(linear["seed"])
    X, y = make_spiral(linear["per_class"], linear["classes"], linear["noise"])
    return {"config": {"linear": linear, "relu": relu}, "X": X, "y": y.tolist(),
            "linear": train_spiral_model(linear, X, y),
            "relu": train_spiral_model(relu, X, y)}


# ---------------------------------------------------------------------------- regression

REGRESSION = {"seed": 1, "points": 100, "networks": 10, "hidden": 100, "epochs": 1000,
              "lr": 1e-3, "weight_decay": 1e-5, "x_new": [-4.0, 4.0, 1001]}


def regression():
    """The regression notebook: linear fit, then 10 nets (ReLU 0-4, Tanh 5-9) trained one
    after the other, predictions on X_new and the per-family ensemble variance / std."""
    cfg = REGRESSION
    H, epochs, lr, wd = cfg["hidden"], cfg["epochs"], cfg["lr"], cfg["weight_decay"]
    torch.manual_seed(cfg["seed"])
    X = torch.unsqueeze(torch.linspace(-1, 1, cfg["points"]), dim=1)  # (100, 1)
    y = X.pow(3) + 0.3 * torch.rand(X.size())                          # (100, 1)
    criterion = nn.MSELoss()

    model = build_model(1, H, 1, 1, "none")
    initial = params_of(model)
    run = fit(model, X, y, criterion, make_optimizer(model.parameters(), "sgd", lr, 0.0, wd),
              epochs, classify=False)
    with torch.no_grad():
        fitted = model(X)
    linear = {"initial_parameters": initial, "loss": run["loss"], "final_loss": run["loss"][-1],
              "final_parameters": params_of(model), "predictions": fitted}

    models, networks = [], []
    for mod in range(cfg["networks"]):
        activation = "relu" if mod < cfg["networks"] // 2 else "tanh"
        model = build_model(1, H, 1, 1, activation)
        initial = params_of(model)
        run = fit(model, X, y, criterion, make_optimizer(model.parameters(), "adam", lr, 0.0, wd),
                  epochs, classify=False)
        with torch.no_grad():
            mse_after = criterion(model(X), y).item()
        models.append(model)
        networks.append({"activation": activation, "initial_parameters": initial,
                         "loss": run["loss"], "final_loss": run["loss"][-1],
                         "mse_after": mse_after, "before": run["before"],
                         "final_parameters": params_of(model)})

    X_new = torch.unsqueeze(torch.linspace(*cfg["x_new"][:2], cfg["x_new"][2]), dim=1)  # (1001, 1)
    with torch.no_grad():
        y_combo = torch.stack([m(X_new) for m in models])  # (10, 1001, 1)
    for net, pred in zip(networks, y_combo):
        net["predictions"] = pred
    half = cfg["networks"] // 2
    out = {"config": cfg, "X": X, "y": y, "linear": linear, "networks": networks,
           "x_new": X_new.squeeze(1).tolist()}
    for family, part in (("relu", y_combo[:half]), ("tanh", y_combo[half:])):
        out["var_" + family] = torch.var(part, dim=0).squeeze(1).tolist()  # unbiased, (1001,)
        out["std_" + family] = torch.std(part, dim=0).squeeze(1).tolist()
    return out


# ---------------------------------------------------------------------------- JSON

def encode(obj, indent=0):
    """JSON text with floats as '%.9g' (round-trips float32) and tensors as
    {"shape", "data"}; dicts one key per line, lists of numbers on one line."""
    pad, inner = "  " * indent, "  " * (indent + 1)
    if isinstance(obj, torch.Tensor):
        return encode({"shape": list(obj.shape), "data": obj.reshape(-1).tolist()}, indent)
    if isinstance(obj, bool):
        return "true" if obj else "false"
    if isinstance(obj, int):
        return str(obj)
    if isinstance(obj, float):
        if not math.isfinite(obj):
            raise ValueError(f"non-finite value {obj} cannot go into JSON")
        return "%.9g" % obj
    if isinstance(obj, str):
        return json.dumps(obj)
    if isinstance(obj, (list, tuple)):
        if all(isinstance(v, (int, float)) for v in obj):
            return "[" + ",".join(encode(v) for v in obj) + "]"
        return "[\n" + ",\n".join(inner + encode(v, indent + 1) for v in obj) + "\n" + pad + "]"
    if isinstance(obj, dict):
        items = (inner + json.dumps(k) + ": " + encode(v, indent + 1) for k, v in obj.items())
        return "{\n" + ",\n".join(items) + "\n" + pad + "}"
    raise TypeError(f"cannot encode {type(obj).__name__}")


def write_fixture(out_dir, name, payload):
    payload = {"_generated_by": GENERATED_BY, "_torch_version": torch.__version__, **payload}
    path = os.path.join(out_dir, name + ".json")
    with open(path, "w") as f:
        f.write(encode(payload) + "\n")
    print(f"wrote {path} ({os.path.getsize(path)} bytes)")


# ---------------------------------------------------------------------------- main

def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=os.path.join(REPO_ROOT, "tests", "fixtures"))
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    torch.set_num_threads(1)

    for name, config in SPIRAL_CONFIGS.items():
        result = train_spiral(config)
        print(f"{name}: acc {result['final_accuracy']:.3f} loss {result['final_loss']:.4f}")
        write_fixture(args.out, name, result)

    lesson = lesson_spiral()
    for part in ("linear", "relu"):
        print(f"lesson {part}: acc {lesson[part]['final_accuracy']:.3f} "
              f"loss {lesson[part]['final_loss']:.4f}")
    write_fixture(args.out, "lesson_spiral", lesson)

    reg = regression()
    print(f"regression linear: mse {reg['linear']['final_loss']:.6f}")
    for i, net in enumerate(reg["networks"]):
        print(f"regression net {i} ({net['activation']}): final_loss {net['final_loss']:.6f} "
              f"mse_after {net['mse_after']:.6f}")
    for family in ("relu", "tanh"):
        std = reg["std_" + family]
        print(f"std {family}: x=-4 {std[0]:.4f}  x=0 {std[500]:.4f}  x=4 {std[-1]:.4f}")
    write_fixture(args.out, "regression", reg)


if __name__ == "__main__":
    main()
