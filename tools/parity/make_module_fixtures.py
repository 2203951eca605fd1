#!/usr/bin/env python3
"""PyTorch oracle for ann's activation and dropout modules: writes tests/fixtures/modules.json.

  activations  each module on x = linspace(-30, 30, 241) (both sides of every kink and of
               softplus' threshold), its output and the gradient of sum(y * w) for a fixed w
  dropout      F.dropout masks after manual_seed(s) for a few shapes and p, and torch.rand(3)
               after them (the stream position); the module in eval mode
  repr         str() of each module, as PyTorch prints it
  init         torch.nn.init on a [6, 4, 2] tensor after manual_seed(5), one after another
  layer_norm   LayerNorm over the last one and two dimensions of a [3, 2, 4] input, with weight
               and bias drawn after manual_seed(9): y and the gradients of sum(y * w)
  batch_norm   BatchNorm1d(5) (and momentum 0.3, no affine) over three training batches of
               [6, 5] then one in eval mode: each output, the gradients of sum(y * w) of the
               first batch, the running statistics after each batch, the state_dict's keys

How to run:  /usr/bin/python3 tools/parity/make_module_fixtures.py [--out tests/fixtures]
"""
import json

import torch
from torch import nn

from fixture_io import output_directory, write_fixture


def floats(t):
    return [float("%.9g" % v) for v in t.detach().reshape(-1).tolist()]


MODULES = {
    "LeakyReLU": nn.LeakyReLU(), "LeakyReLU_0.2": nn.LeakyReLU(0.2), "ELU": nn.ELU(), "ELU_0.5": nn.ELU(alpha=0.5),
    "GELU": nn.GELU(), "SiLU": nn.SiLU(), "Softplus": nn.Softplus(), "Softplus_2_5": nn.Softplus(beta=2, threshold=5),
    "Dropout": nn.Dropout(), "Dropout_0.25": nn.Dropout(0.25),
}


def main():
    out = output_directory(__doc__)
    x = torch.linspace(-30, 30, 241)
    w = torch.sin(torch.arange(241, dtype=torch.float32))
    activations = []
    for name, module in MODULES.items():
        if name.startswith("Dropout"):
            continue
        xg = x.clone().requires_grad_()
        y = module(xg)
        (y * w).sum().backward()
        activations.append({"name": name, "y": floats(y), "dx": floats(xg.grad)})
    dropout = []
    for seed, shape, p in [(0, [20], 0.3), (3, [5, 7], 0.25), (11, [4, 33], 0.5), (2, [17], 0.9)]:
        torch.manual_seed(seed)
        y = nn.functional.dropout(torch.ones(shape), p, training=True)
        dropout.append({"seed": seed, "shape": shape, "p": p, "y": floats(y), "rand_after": floats(torch.rand(3))})
    torch.manual_seed(5)
    filled = torch.empty(6, 4, 2)
    init = []
    for name, fill in [("uniform", lambda t: nn.init.uniform_(t, -0.3, 0.7)),
                       ("normal", lambda t: nn.init.normal_(t, 0.5, 2.0)),
                       ("xavier_uniform", lambda t: nn.init.xavier_uniform_(t, gain=1.5)),
                       ("xavier_normal", lambda t: nn.init.xavier_normal_(t)),
                       ("kaiming_uniform", lambda t: nn.init.kaiming_uniform_(t, a=0.1)),
                       ("kaiming_normal_fan_out_relu", lambda t: nn.init.kaiming_normal_(t, mode="fan_out", nonlinearity="relu")),
                       ("kaiming_uniform_tanh", lambda t: nn.init.kaiming_uniform_(t, nonlinearity="tanh"))]:
        fill(filled)
        init.append({"name": name, "values": floats(filled)})
    layer_norm = []
    for shape in [[4], [2, 4]]:
        torch.manual_seed(9)
        xin = (torch.randn(3, 2, 4) * 3 + 1).requires_grad_()
        ln = nn.LayerNorm(shape)
        with torch.no_grad():
            ln.weight.copy_(torch.randn(shape))
            ln.bias.copy_(torch.randn(shape))
        wt = torch.randn(3, 2, 4)
        y = ln(xin)
        (y * wt).sum().backward()
        layer_norm.append({"shape": shape, "x": floats(xin), "weight": floats(ln.weight), "bias": floats(ln.bias),
                           "w": floats(wt), "y": floats(y), "dx": floats(xin.grad), "dweight": floats(ln.weight.grad),
                           "dbias": floats(ln.bias.grad), "repr": str(ln)})
    batch_norm = []
    for momentum, affine in [(0.1, True), (0.3, False)]:
        torch.manual_seed(4)
        bn = nn.BatchNorm1d(5, momentum=momentum, affine=affine)
        if affine:
            with torch.no_grad():
                bn.weight.copy_(torch.randn(5))
                bn.bias.copy_(torch.randn(5))
        case = {"momentum": momentum, "affine": affine, "repr": str(bn), "keys": list(bn.state_dict().keys()),
                "weight": floats(bn.weight) if affine else [], "bias": floats(bn.bias) if affine else [],
                "batches": []}
        for step in range(4):
            xb = (torch.randn(6, 5) * (step + 1) + step).requires_grad_()
            wb = torch.randn(6, 5)
            if step == 3:
                bn.eval()
            y = bn(xb)
            entry = {"x": floats(xb), "y": floats(y)}
            if step == 0:
                (y * wb).sum().backward()
                entry.update({"w": floats(wb), "dx": floats(xb.grad)})
                if affine:
                    entry.update({"dweight": floats(bn.weight.grad), "dbias": floats(bn.bias.grad)})
            entry.update({"running_mean": floats(bn.running_mean), "running_var": floats(bn.running_var),
                          "num_batches_tracked": int(bn.num_batches_tracked)})
            case["batches"].append(entry)
        batch_norm.append(case)
    fixture = {"x": floats(x), "w": floats(w), "activations": activations, "dropout": dropout,
               "repr": {name: str(m) for name, m in MODULES.items()}, "init": init, "layer_norm": layer_norm,
               "batch_norm": batch_norm}
    write_fixture(out, "modules.json", "make_module_fixtures.py", fixture)


if __name__ == "__main__":
    main()
