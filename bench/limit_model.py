"""The machine's limit for one training step of a fully connected network (issue 18), and the
seeded shapes bench/compare --sweep draws.

The limit of a step is the larger of two times, both for one core:

  compute  = (multiply-adds + elementwise lane operations) / (peak FLOP/s / 2)
  memory   = bytes a fused schedule must move beyond the L2 cache / bandwidth

peak and bandwidth are measured by `ann_workload machine` (bench/machine_limits.h): 512-bit
FMAs in independent chains, and a STREAM triad over arrays far beyond the caches (memory) and
over arrays that fit in the L3 cache (bandwidth_l3). The L3 bandwidth applies when all a step
touches (parameters, gradients, optimizer state, kept activations, the batch) fits in half the
L3 cache: a CPU's L3 is shared with the other cores, and a virtual machine's with other guests.

Multiply-adds, for a batch of m rows through layers of widths d0 (inputs), d1 .. dL (hidden),
d(L+1) (outputs): the forward product m·Σ d_l·d_(l+1); the weights' gradients, as many; the
inputs' gradients, as many but for the first layer (X needs no gradient).

Elementwise work is counted in lane operations, each taking one multiply-add slot (on AVX-512
cores additions, multiplications and FMAs share the same two ports): what an efficient vector
kernel needs per element (ELEMENTWISE_OPS below: an exp is a range reduction and a degree-6
polynomial, about 10; a division or square root about 4). These are counts of a minimal
kernel, not of ann's.

Bytes: a schedule that fuses the step needs only
  - X and the targets, read once;
  - the parameters, their gradients and the optimizer's state, when they do not all fit in the
    core's L2 cache (otherwise they stay there from step to step): the forward reads W, the
    backward reads W and writes dW, the optimizer reads θ, g and its s state arrays and writes
    θ and the state: 4·P·(5 + 2s) bytes;
  - the activations kept for the backward (m·Σ hidden widths floats), when they do not fit in
    L2: written by the forward, read by the backward.
"""
import math
import random

# Lane operations per element: (forward, backward from the kept output or input).
ELEMENTWISE_OPS = {
    "relu": (1, 1), "leaky_relu": (2, 2), "tanh": (15, 2), "sigmoid": (15, 3), "elu": (12, 2),
    "gelu": (18, 16), "silu": (15, 6), "softplus": (24, 15),
}
# Per output element: (forward, backward). Cross-entropy: an exp, a sum and a log per row.
LOSS_OPS = {"cross_entropy": (13, 2), "mse": (2, 1), "l1": (2, 1), "huber": (4, 2), "bce_with_logits": (26, 15)}
# Per parameter: (lane operations, state arrays).
OPTIMIZER_OPS = {"sgd": (1, 0), "sgd_momentum": (3, 1), "adam": (15, 2), "adamw": (16, 2), "rmsprop": (12, 1),
                 "adagrad": (10, 1)}

ACTIVATIONS = list(ELEMENTWISE_OPS)
LOSSES = list(LOSS_OPS)
OPTIMIZERS = list(OPTIMIZER_OPS)


def layer_widths(shape):
    return [shape["in"]] + shape["widths"] + [shape["out"]]


def parameters(shape):
    d = layer_widths(shape)
    return sum(a * b + (b if shape["bias"] else 0) for a, b in zip(d, d[1:]))


def multiply_adds(shape, m):
    d = layer_widths(shape)
    per_row = sum(a * b for a, b in zip(d, d[1:]))
    return m * (3 * per_row - d[0] * d[1])


def step_limit(shape, m, machine):
    """Seconds of one step on a batch of m rows, and which limit binds ("compute" / "memory")."""
    d = layer_widths(shape)
    hidden = sum(shape["widths"])
    act_f, act_b = ELEMENTWISE_OPS[shape["act"]]
    loss_f, loss_b = LOSS_OPS[shape["loss"]]
    opt_ops, states = OPTIMIZER_OPS[shape["opt"]]
    p = parameters(shape)
    bias_ops = 2 * m * sum(d[1:]) if shape["bias"] else 0  # the add, and the gradient's column sum
    lane_ops = m * hidden * (act_f + act_b) + m * d[-1] * (loss_f + loss_b) + p * opt_ops + bias_ops
    compute = (multiply_adds(shape, m) + lane_ops) / (machine["peak_flops"] / 2)

    l2 = machine["l2_bytes"]
    target_bytes = 8 * m if shape["loss"] == "cross_entropy" else 4 * m * d[-1]
    moved = 4 * m * d[0] + target_bytes
    if 4 * p * (3 + states) > l2:
        moved += 4 * p * (5 + 2 * states)
    if 4 * m * hidden > l2:
        moved += 2 * 4 * m * hidden
    touched = 4 * p * (3 + states) + 4 * m * hidden + 4 * m * d[0] + target_bytes
    in_l3 = touched <= machine["l3_bytes"] / 2
    memory = moved / (machine["bandwidth_l3"] if in_l3 else machine["bandwidth"])
    return (compute, "compute") if compute >= memory else (memory, "memory")


def batches(shape, steps):
    """The batch sizes of the timed steps: consecutive row ranges, cycled, after one warm-up step
    (the warm-up on the shorter last batch, bench/workloads.py, does not move the cycle)."""
    rows, batch = shape["rows"], shape["batch"]
    sizes, start = [], 0
    for _ in range(steps + 1):
        n = min(batch, rows - start)
        sizes.append(n)
        start = 0 if start + n == rows else start + n
    return sizes[1:]


def limit(shape, steps, machine):
    """Seconds of the timed steps at the machine's limit, and the bound of the largest step."""
    total, bound = 0.0, None
    for m in batches(shape, steps):
        t, b = step_limit(shape, m, machine)
        total += t
        bound = bound or b
    return total, bound


# The grid issue 18 names; shapes whose step exceeds this many multiply-adds are drawn again
# (one step would take over a second of this machine: the sweep would take hours).
MAX_MULTIPLY_ADDS = 4e10


def log_uniform(rng, lo, hi):
    return int(round(math.exp(rng.uniform(math.log(lo), math.log(hi)))))


def draw_shapes(count, seed):
    """count shapes from the grid: 1-8 hidden layers of width 1-4096 (drawn log-uniform; for a
    third of the shapes each layer's width on its own),
    1-784 inputs, 1-100 outputs, any activation, bias or not, any loss (cross-entropy needs two
    classes), any optimizer, 1-100 000 rows, full batch (a third of the time) or batches of 1 to
    all rows."""
    rng = random.Random(seed)
    shapes = []
    while len(shapes) < count:
        out = log_uniform(rng, 1, 100)
        s = {
            "in": log_uniform(rng, 1, 784),
            "widths": [log_uniform(rng, 1, 4096)] * rng.randint(1, 8),
            "out": out,
            "act": rng.choice(ACTIVATIONS),
            "bias": rng.random() < 0.75,
            "loss": rng.choice(LOSSES if out > 1 else [x for x in LOSSES if x != "cross_entropy"]),
            "opt": rng.choice(OPTIMIZERS),
            "rows": log_uniform(rng, 1, 100000),
        }
        if rng.random() < 1 / 3:  # an hourglass or a funnel: each hidden width drawn on its own
            s["widths"] = [log_uniform(rng, 1, 4096) for _ in s["widths"]]
        s["batch"] = s["rows"] if rng.random() < 1 / 3 else log_uniform(rng, 1, s["rows"])
        if multiply_adds(s, s["batch"]) <= MAX_MULTIPLY_ADDS:
            shapes.append(s)
    return shapes


def spec_args(shape, steps):
    """The key=value arguments of ann_workload mlp and workloads.py mlp."""
    return [f"in={shape['in']}", f"widths={','.join(map(str, shape['widths']))}", f"out={shape['out']}",
            f"act={shape['act']}", f"bias={int(shape['bias'])}", f"loss={shape['loss']}", f"opt={shape['opt']}",
            f"rows={shape['rows']}", f"batch={shape['batch']}", f"steps={steps}"]


def describe(shape):
    widths = "-".join(map(str, [shape["in"]] + shape["widths"] + [shape["out"]]))
    batch = "full" if shape["batch"] == shape["rows"] else f"b{shape['batch']}"
    return (f"{widths} {shape['act']}{'' if shape['bias'] else ' nobias'} {shape['loss']} {shape['opt']} "
            f"{shape['rows']}r {batch}")
