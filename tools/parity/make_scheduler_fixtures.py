#!/usr/bin/env python3
"""PyTorch oracle for ann's learning-rate schedulers: writes tests/fixtures/lr_schedulers.json.

Each case builds an optimizer over one parameter, makes the scheduler (which takes its first
step, as in PyTorch), then steps it `steps` times, recording the optimizer's learning rate (and
its momentum or beta1 for OneCycleLR) after construction and after every step. Floats are
written with repr(): Python's doubles, which ann must reproduce to the last bit.

How to run:  /usr/bin/python3 tools/parity/make_scheduler_fixtures.py [--out tests/fixtures]
"""
import json

import torch
from torch.optim import SGD, Adam, lr_scheduler as S

from fixture_io import output_directory, write_fixture

METRICS = [1.0, 0.9, 0.95, 0.95, 0.96, 0.97, 0.8, 0.8, 0.81, 0.82, 0.83, 0.84, 0.85, 0.7, 0.7, 0.7, 0.7,
           0.71, 0.72, 0.73, 0.74, 0.75, 0.76]


def run(name, make_optimizer, make_scheduler, steps, options, metric=False):
    optimizer = make_optimizer([torch.nn.Parameter(torch.zeros(1))])
    scheduler = make_scheduler(optimizer)
    group = optimizer.param_groups[0]
    lrs, momenta = [group["lr"]], []

    def momentum():
        return group["betas"][0] if "betas" in group else group["momentum"]
    momenta.append(momentum())
    for i in range(steps):
        optimizer.step()
        if metric:
            scheduler.step(METRICS[i % len(METRICS)])
        else:
            scheduler.step()
        lrs.append(group["lr"])
        momenta.append(momentum())
    return {"name": name, "options": options, "steps": steps, "lr": lrs, "momentum": momenta}


def main():
    out = output_directory(__doc__)
    sgd = lambda p: SGD(p, lr=0.1, momentum=0.9)
    adam = lambda p: Adam(p, lr=0.01)
    cases = [
        run("StepLR", sgd, lambda o: S.StepLR(o, step_size=3, gamma=0.5), 20, {"step_size": 3, "gamma": 0.5}),
        run("MultiStepLR", sgd, lambda o: S.MultiStepLR(o, milestones=[2, 5, 5, 9], gamma=0.3), 15,
            {"milestones": [2, 5, 5, 9], "gamma": 0.3}),
        run("ExponentialLR", adam, lambda o: S.ExponentialLR(o, gamma=0.93), 40, {"gamma": 0.93}),
        run("CosineAnnealingLR", sgd, lambda o: S.CosineAnnealingLR(o, T_max=7, eta_min=0.001), 40,
            {"T_max": 7, "eta_min": 0.001}),
        run("LinearLR", adam, lambda o: S.LinearLR(o, start_factor=0.25, end_factor=0.9, total_iters=6), 12,
            {"start_factor": 0.25, "end_factor": 0.9, "total_iters": 6}),
        run("OneCycleLR", sgd, lambda o: S.OneCycleLR(o, max_lr=0.5, total_steps=30), 29,
            {"max_lr": 0.5, "total_steps": 30, "three_phase": False, "cos_anneal": True}),
        run("OneCycleLR", adam, lambda o: S.OneCycleLR(o, max_lr=0.02, total_steps=25, three_phase=True,
                                                       anneal_strategy="linear", pct_start=0.4), 24,
            {"max_lr": 0.02, "total_steps": 25, "three_phase": True, "cos_anneal": False, "pct_start": 0.4}),
        run("ReduceLROnPlateau", sgd, lambda o: S.ReduceLROnPlateau(o, patience=2, factor=0.5, cooldown=1), 23,
            {"patience": 2, "factor": 0.5, "cooldown": 1}, metric=True),
    ]
    fixture = {"metrics": METRICS, "cases": cases}
    write_fixture(out, "lr_schedulers.json", "make_scheduler_fixtures.py", fixture)


if __name__ == "__main__":
    main()
