#!/usr/bin/env python3
"""PyTorch oracle for ann's optimizers beyond the lesson's: writes tests/fixtures/optimizers.json.

One small classifier (Linear(3, 8), Tanh, Linear(8, 2), initialised after manual_seed(1)) on
fixed data, trained full-batch with cross-entropy for `steps` steps under each optimizer
configuration; recorded: the loss of every step and the parameters at the end. The group cases
give the first layer its own lr and weight decay (parameter groups), some under a schedule.

How to run:  /usr/bin/python3 tools/parity/make_optim_fixtures.py [--out tests/fixtures]
"""
import json

import torch
from torch import nn, optim

from fixture_io import output_directory, write_fixture

STEPS = 200


def tensor_json(t):
    return {"shape": list(t.shape), "data": [float("%.9g" % v) for v in t.detach().reshape(-1).tolist()]}


def train(name, make, schedule=None, groups=False):
    torch.manual_seed(1)
    model = nn.Sequential(nn.Linear(3, 8), nn.Tanh(), nn.Linear(8, 2))
    if groups:  # the first layer with its own lr and weight decay, the last with the defaults
        optimizer = make([{"params": model[0].parameters(), "lr": 0.03, "weight_decay": 1e-2},
                          {"params": model[2].parameters()}])
    else:
        optimizer = make(model.parameters())
    scheduler = schedule(optimizer) if schedule else None
    losses = []
    for _ in range(STEPS):
        loss = nn.functional.cross_entropy(model(X), y)
        losses.append(float("%.9g" % loss.item()))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if scheduler:
            scheduler.step()
    return {"name": name, "loss": losses, "parameters": {k: tensor_json(v) for k, v in model.state_dict().items()},
            "lrs": [g["lr"] for g in optimizer.param_groups]}


torch.manual_seed(7)
X = torch.randn(64, 3)
y = (X[:, 0] + X[:, 1] * X[:, 2] > 0).long()


def main():
    out = output_directory(__doc__)
    # RMSprop at lr 0.002 and 0.001: its normalised steps amplify last-digit rounding differences
    # (PyTorch's kernels fuse multiply-adds its own way), and at the default 0.01 the losses part
    # at the 3rd digit within 200 steps.
    cases = [
        train("rmsprop_default", lambda p: optim.RMSprop(p, lr=0.002)),
        train("rmsprop_centered_momentum", lambda p: optim.RMSprop(p, lr=0.001, alpha=0.9, momentum=0.5,
                                                                   centered=True, weight_decay=1e-3)),
        train("adagrad", lambda p: optim.Adagrad(p, lr=0.1, lr_decay=1e-3, weight_decay=1e-4,
                                                 initial_accumulator_value=0.1)),
        train("adam_amsgrad", lambda p: optim.Adam(p, lr=0.01, amsgrad=True, weight_decay=1e-3)),
        train("adamw_amsgrad", lambda p: optim.AdamW(p, lr=0.01, amsgrad=True)),
        train("sgd_nesterov", lambda p: optim.SGD(p, lr=0.05, momentum=0.9, nesterov=True, weight_decay=1e-4)),
    ]
    # Parameter groups: group 0 (the first Linear) at lr 0.03 and weight decay 1e-2, group 1 at the
    # optimizer's options; the schedules scale each group's own rate.
    step = lambda o: optim.lr_scheduler.StepLR(o, step_size=50, gamma=0.5)
    cosine = lambda o: optim.lr_scheduler.CosineAnnealingLR(o, T_max=120)
    group_cases = [
        train("groups_sgd_step", lambda p: optim.SGD(p, lr=0.1, momentum=0.9), step, True),
        train("groups_adam_cosine", lambda p: optim.Adam(p, lr=0.01), cosine, True),
        train("groups_adamw", lambda p: optim.AdamW(p, lr=0.01, weight_decay=0.1), None, True),
        train("groups_rmsprop_step", lambda p: optim.RMSprop(p, lr=0.001), step, True),
        train("groups_adagrad", lambda p: optim.Adagrad(p, lr=0.05), None, True),
    ]
    fixture = {"steps": STEPS, "X": tensor_json(X), "y": y.tolist(), "cases": cases, "group_cases": group_cases}
    write_fixture(out, "optimizers.json", "make_optim_fixtures.py", fixture)


if __name__ == "__main__":
    main()
