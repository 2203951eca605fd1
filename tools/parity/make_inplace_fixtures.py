#!/usr/bin/env python3
"""PyTorch oracle for ann's in-place arithmetic: writes tests/fixtures/inplace.json.

  sgd_loop   a hand-written mini-batch SGD loop as a libtorch user writes it after the lesson:
             w, b leaves; per batch loss = mean((X w + b - y)^2), backward, then under no_grad
             w -= lr * w.grad; b -= lr * b.grad; grads zeroed; the loss of every step and the
             final w and b
  ops        add_/sub_/mul_/div_/clamp_ results on fixed tensors (with broadcasting)

How to run:  /usr/bin/python3 tools/parity/make_inplace_fixtures.py [--out tests/fixtures]
"""
import torch

from fixture_io import output_directory, write_fixture


def floats(t):
    return [float("%.9g" % v) for v in t.detach().reshape(-1).tolist()]


def main():
    out = output_directory(__doc__)
    torch.manual_seed(3)
    X = torch.randn(64, 3)
    y = X @ torch.tensor([[1.5], [-2.0], [0.5]]) + 0.3 + 0.1 * torch.randn(64, 1)
    w = torch.zeros(3, 1, requires_grad=True)
    b = torch.zeros(1, requires_grad=True)
    lr, losses = 0.05, []
    for epoch in range(5):
        for first in range(0, 64, 16):
            xb, yb = X[first:first + 16], y[first:first + 16]
            loss = ((xb @ w + b - yb) ** 2).mean()
            loss.backward()
            losses.append(float("%.9g" % loss.item()))
            with torch.no_grad():
                w -= lr * w.grad
                b -= lr * b.grad
                w.grad.zero_()
                b.grad.zero_()
    a = torch.linspace(-2, 2, 12).reshape(4, 3)
    r = torch.tensor([0.5, -1.5, 2.0])
    ops = {
        "add": floats(a.clone().add_(r)), "add_alpha": floats(a.clone().add_(r, alpha=-0.25)),
        "add_scalar": floats(a.clone().add_(0.75)), "sub": floats(a.clone().sub_(r, alpha=3)),
        "mul": floats(a.clone().mul_(r)), "mul_scalar": floats(a.clone().mul_(-1.5)),
        "div": floats(a.clone().div_(r)), "div_scalar": floats(a.clone().div_(3)),
        "clamp": floats(a.clone().clamp_(-0.5, 1.25)),
    }
    write_fixture(out, "inplace.json", "make_inplace_fixtures.py",
                  {"X": floats(X), "y": floats(y), "lr": lr, "sgd_losses": losses, "w": floats(w), "b": floats(b),
                   "a": floats(a), "r": floats(r), "ops": ops})


if __name__ == "__main__":
    main()
