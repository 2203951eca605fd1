#!/usr/bin/env python3
"""PyTorch oracle for ann's optimizers beyond the lesson's: writes tests/fixtures/optimizers.json.

One small classifier (Linear(3, 8), Tanh, Linear(8, 2), initialised after manual_seed(1)) on
fixed data, trained full-batch with cross-entropy for `steps` steps under each optimizer
configuration; recorded: the loss of every step and the parameters at the end. The group cases
give the first layer its own lr and weight decay (parameter groups), some under a schedule.
The float64 cases run every optimizer and every scheduler with the model and data converted to
float64 (model.double(): the float32 initial weights, widened), recorded to all 17 digits; the
float32 schedule cases train under the schedulers the other float32 cases leave out.
The L-BFGS cases take `steps` calls of step(closure) each (each call iterates up to max_iter
times); recorded: the loss each call returns, the closure's evaluations and iterations in all,
and the parameters at the end, in float32 and float64.

How to run:  /usr/bin/python3 tools/parity/make_optim_fixtures.py [--out tests/fixtures]
"""
import json

import torch
from torch import nn, optim

from fixture_io import output_directory, write_fixture

STEPS = 200


def tensor_json(t):
    return {"shape": list(t.shape), "data": [float("%.9g" % v) for v in t.detach().reshape(-1).tolist()]}


def tensor_json64(t):
    return {"shape": list(t.shape), "data": t.detach().reshape(-1).tolist()}


def model_and_inputs(float64):
    """The fixture's classifier after manual_seed(1), and X, both in float64 when asked."""
    torch.manual_seed(1)
    model = nn.Sequential(nn.Linear(3, 8), nn.Tanh(), nn.Linear(8, 2))
    return (model.double(), X.double()) if float64 else (model, X)


def train(name, make, schedule=None, groups=False, float64=False):
    model, inputs = model_and_inputs(float64)
    if groups:  # the first layer with its own lr and weight decay, the last with the defaults
        optimizer = make([{"params": model[0].parameters(), "lr": 0.03, "weight_decay": 1e-2},
                          {"params": model[2].parameters()}])
    else:
        optimizer = make(model.parameters())
    scheduler = schedule(optimizer) if schedule else None
    losses = []
    for _ in range(STEPS):
        loss = nn.functional.cross_entropy(model(inputs), y)
        losses.append(loss.item() if float64 else float("%.9g" % loss.item()))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if isinstance(scheduler, optim.lr_scheduler.ReduceLROnPlateau):
            scheduler.step(loss.item())
        elif scheduler:
            scheduler.step()
    encode = tensor_json64 if float64 else tensor_json
    return {"name": name, "loss": losses, "parameters": {k: encode(v) for k, v in model.state_dict().items()},
            "lrs": [g["lr"] for g in optimizer.param_groups]}


def train_lbfgs(name, steps, float64=False, **options):
    model, inputs = model_and_inputs(float64)
    optimizer = optim.LBFGS(model.parameters(), **options)

    def closure():
        optimizer.zero_grad()
        loss = nn.functional.cross_entropy(model(inputs), y)
        loss.backward()
        return loss

    losses = [optimizer.step(closure).item() for _ in range(steps)]
    if not float64:
        losses = [float("%.9g" % v) for v in losses]
    state = optimizer.state[next(iter(model.parameters()))]
    encode = tensor_json64 if float64 else tensor_json
    return {"name": name, "dtype": "float64" if float64 else "float32", "options": options, "steps": steps, "loss": losses, "func_evals": state["func_evals"],
            "n_iter": state["n_iter"], "parameters": {k: encode(v) for k, v in model.state_dict().items()}}


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
    # float64: every optimizer, and every scheduler once (name: optimizer_scheduler[_groups]).
    multistep = lambda o: optim.lr_scheduler.MultiStepLR(o, milestones=[40, 90, 90, 150], gamma=0.5)
    exponential = lambda o: optim.lr_scheduler.ExponentialLR(o, gamma=0.99)
    onecycle = lambda o: optim.lr_scheduler.OneCycleLR(o, max_lr=0.2, total_steps=STEPS)
    linear = lambda o: optim.lr_scheduler.LinearLR(o, start_factor=0.25, end_factor=1.0, total_iters=60)
    plateau = lambda o: optim.lr_scheduler.ReduceLROnPlateau(o, factor=0.5, patience=3, threshold=0.02)
    float64_cases = [
        train("sgd", lambda p: optim.SGD(p, lr=0.1), None, False, True),
        train("sgd_nesterov", lambda p: optim.SGD(p, lr=0.05, momentum=0.9, nesterov=True, weight_decay=1e-4),
              None, False, True),
        train("adam", lambda p: optim.Adam(p, lr=0.01, weight_decay=1e-3), None, False, True),
        train("adam_amsgrad", lambda p: optim.Adam(p, lr=0.01, amsgrad=True), None, False, True),
        train("adamw", lambda p: optim.AdamW(p, lr=0.01, weight_decay=0.1), None, False, True),
        # float64 follows torch closely enough for RMSprop's default rate
        train("rmsprop_centered_momentum", lambda p: optim.RMSprop(p, lr=0.01, alpha=0.9, momentum=0.5,
                                                                   centered=True, weight_decay=1e-3),
              None, False, True),
        train("adagrad", lambda p: optim.Adagrad(p, lr=0.1, lr_decay=1e-3, weight_decay=1e-4,
                                                 initial_accumulator_value=0.1), None, False, True),
        train("sgd_momentum_step_groups", lambda p: optim.SGD(p, lr=0.1, momentum=0.9), step, True, True),
        train("adam_cosine_groups", lambda p: optim.Adam(p, lr=0.01), cosine, True, True),
        train("sgd_multistep", lambda p: optim.SGD(p, lr=0.2), multistep, False, True),
        train("rmsprop_exponential", lambda p: optim.RMSprop(p, lr=0.005), exponential, False, True),
        train("sgd_momentum_onecycle", lambda p: optim.SGD(p, lr=0.1, momentum=0.9), onecycle, False, True),
        train("adamw_linear", lambda p: optim.AdamW(p, lr=0.02), linear, False, True),
        train("sgd_plateau", lambda p: optim.SGD(p, lr=0.5), plateau, False, True),
    ]
    # The schedulers the float32 cases above leave out, trained in float32 too.
    float32_schedule_cases = [
        train("sgd_multistep", lambda p: optim.SGD(p, lr=0.2), multistep),
        train("rmsprop_exponential", lambda p: optim.RMSprop(p, lr=0.005), exponential),
        train("sgd_momentum_onecycle", lambda p: optim.SGD(p, lr=0.1, momentum=0.9), onecycle),
        train("adamw_linear", lambda p: optim.AdamW(p, lr=0.02), linear),
        train("sgd_plateau", lambda p: optim.SGD(p, lr=0.5), plateau),
    ]
    # float32 runs stop before the loss nears 0, where the weights grow and float32's rounding
    # (ann's and torch's differ in the last digit) moves L-BFGS's directions visibly.
    lbfgs_cases = [
        train_lbfgs("default", 2, max_iter=5),
        train_lbfgs("short_history", 3, lr=0.5, max_iter=7, history_size=3),
        train_lbfgs("strong_wolfe", 2, line_search_fn="strong_wolfe", max_iter=5, history_size=10),
        train_lbfgs("strong_wolfe_max_eval", 4, line_search_fn="strong_wolfe", max_iter=10, max_eval=6),
        train_lbfgs("default", 3, float64=True),
        train_lbfgs("short_history", 6, float64=True, lr=0.5, max_iter=7, history_size=3),
        train_lbfgs("strong_wolfe", 3, float64=True, line_search_fn="strong_wolfe", history_size=10),
    ]
    fixture = {"steps": STEPS, "lbfgs_cases": lbfgs_cases, "X": tensor_json(X), "y": y.tolist(), "cases": cases, "group_cases": group_cases,
               "float64_cases": float64_cases, "float32_schedule_cases": float32_schedule_cases}
    write_fixture(out, "optimizers.json", "make_optim_fixtures.py", fixture)


if __name__ == "__main__":
    main()
