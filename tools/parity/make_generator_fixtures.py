#!/usr/bin/env python3
"""PyTorch oracle for ann::Generator: writes tests/fixtures/generator.json.

The fixture pins down PyTorch 1.13's CPU random stream so that tests/test_generator.cpp can
check ann::Generator against it value by value: torch.rand / torch.randn right after
manual_seed for several seeds and sizes (sizes below 16 and at or above 16 take different
paths in torch), uniform_(-b, b) as nn.Linear's init uses it, normal_(0.5, 2), a sequence of
calls that carries torch's cached normal sample from one call to the next, and float64 rand
(which exposes how torch composes random64()).

How to run (PyTorch 1.13 from Debian: apt-get install python3-torch python3-numpy):
  python3 tools/parity/make_generator_fixtures.py [--out tests/fixtures]

The output is generated: do not edit it by hand. It carries "_generated_by" and
"_torch_version". float32 values are written with '%.9g' (round-trips float32 exactly),
float64 values with repr. The script refuses to run unless torch dispatches to its AVX2
kernels (torch's normal_ on >= 16 floats has different rounding on other CPUs), and it asserts
the seeding facts the C++ side relies on before writing anything.
"""
import argparse
import json
import math
import os

import torch

GENERATED_BY = "tools/parity/make_generator_fixtures.py"
REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

SEEDS = [0, 1, 42, 12345, 2**32 + 7]
SIZES = [1, 2, 15, 16, 17, 100, 1000]
SIZES_EXTRA_OPS = [1, 2, 15, 16, 17, 100]  # uniform_ / normal_(0.5, 2): keeps the file small
BOUNDS = [1 / math.sqrt(2), 1 / math.sqrt(100)]  # nn.Linear init bounds, fan_in 2 and 100


def cpu_capability():
    for line in torch.__config__.show().splitlines():
        if "CPU capability usage:" in line:
            return line.split(":", 1)[1].strip()
    return "unknown"


def run_op(op):
    """Runs one op on the default generator; returns its values as a flat Python list."""
    kind, n = op["op"], op["n"]
    if kind == "rand":
        t = torch.rand(n)
    elif kind == "randn":
        t = torch.randn(n)
    elif kind == "uniform_":
        t = torch.empty(n).uniform_(op["from"], op["to"])
    elif kind == "normal_":
        t = torch.empty(n).normal_(mean=op["mean"], std=op["std"])
    elif kind == "rand_f64":
        t = torch.rand(n, dtype=torch.float64)
    elif kind == "randn_f64":
        t = torch.randn(n, dtype=torch.float64)
    else:
        raise ValueError(kind)
    return t.tolist()


def make_case(name, seed, ops):
    torch.manual_seed(seed)
    case = {"name": name, "seed": seed, "initial_seed": torch.initial_seed(), "ops": []}
    for op in ops:
        case["ops"].append(dict(op, values=run_op(op)))
    return case


def check_facts():
    """Asserts what ann::Generator assumes about seeding; returns them for the record."""
    def stream(seed):
        torch.manual_seed(seed)
        return torch.rand(64).tolist() + torch.randn(20).tolist() + torch.randn(3).tolist()

    # Only the low 32 bits of the seed reach mt19937, but initial_seed() keeps all 64.
    assert stream(2**32 + 7) == stream(7)
    torch.manual_seed(2**32 + 7)
    assert torch.initial_seed() == 2**32 + 7
    # Negative seeds wrap to uint64; 2**64 is rejected.
    torch.manual_seed(-1)
    assert torch.initial_seed() == 2**64 - 1
    assert stream(-1) == stream(2**32 - 1)
    # manual_seed drops the Box-Muller sample cached by randn(n < 16).
    torch.manual_seed(5)
    first = torch.randn(1).item()
    torch.manual_seed(5)
    assert torch.randn(1).item() == first
    # torch.Generator() starts from default_rng_seed_val (the global one is seeded randomly).
    g = torch.Generator()
    assert g.initial_seed() == 67280421310721
    torch.manual_seed(67280421310721)
    assert torch.rand(8, generator=g).tolist() == torch.rand(8).tolist()
    return {
        "seed_uses_low_32_bits": True,
        "initial_seed_keeps_64_bits": True,
        "negative_seed_wraps_to_uint64": True,
        "manual_seed_resets_cached_normal": True,
        "torch_generator_default_seed": 67280421310721,
    }


def build():
    cases = []
    for seed in SEEDS:
        for n in SIZES:
            cases.append(make_case(f"rand({n})", seed, [{"op": "rand", "n": n}]))
            cases.append(make_case(f"randn({n})", seed, [{"op": "randn", "n": n}]))
        for n in SIZES_EXTRA_OPS:
            for b in BOUNDS:
                cases.append(make_case(f"uniform_({n}, -{b:.6g}, {b:.6g})", seed,
                                       [{"op": "uniform_", "n": n, "from": -b, "to": b}]))
            cases.append(make_case(f"normal_({n}, 0.5, 2)", seed,
                                   [{"op": "normal_", "n": n, "mean": 0.5, "std": 2.0}]))
        # The brief's sequence, then two more ops: the n >= 16 path leaves the cached sample
        # alone, so normal_ on one element afterwards returns the sample randn(5) cached.
        cases.append(make_case("sequence", seed, [
            {"op": "randn", "n": 3}, {"op": "randn", "n": 5}, {"op": "rand", "n": 2},
            {"op": "randn", "n": 17}, {"op": "normal_", "n": 1, "mean": 0.5, "std": 2.0},
            {"op": "randn", "n": 2}]))
    for seed in [0, 42]:
        cases.append(make_case("rand_f64(8)", seed, [{"op": "rand_f64", "n": 8}]))
        # float64 normals: the per-element path (n < 16), whole blocks, and a recomputed tail;
        # then a uniform, to show the stream stays in step
        cases.append(make_case("float64 sequence", seed, [
            {"op": "randn_f64", "n": 5}, {"op": "randn_f64", "n": 16}, {"op": "randn_f64", "n": 37},
            {"op": "rand_f64", "n": 37}, {"op": "rand", "n": 3}]))
    cases.append(make_case("default seed rand(5)", 67280421310721, [{"op": "rand", "n": 5}]))
    return cases


def encode(obj, float32=False):
    """Compact JSON. Floats are Python doubles written with repr (exact), except the values of
    float32 ops, written with '%.9g' (enough to round-trip float32)."""
    if isinstance(obj, bool) or obj is None:
        return json.dumps(obj)
    if isinstance(obj, float):
        return "%.9g" % obj if float32 else repr(obj)
    if isinstance(obj, (int, str)):
        return json.dumps(obj)
    if isinstance(obj, list):
        return "[" + ", ".join(encode(v, float32) for v in obj) + "]"
    if isinstance(obj, dict):
        f32_values = obj.get("op") not in (None, "rand_f64", "randn_f64")
        return "{" + ", ".join(
            "%s: %s" % (json.dumps(k), encode(v, k == "values" and f32_values))
            for k, v in obj.items()) + "}"
    raise TypeError(type(obj))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=os.path.join(REPO_ROOT, "tests", "fixtures"))
    args = parser.parse_args()

    capability = cpu_capability()
    if capability != "AVX2":
        raise SystemExit(f"torch uses CPU capability {capability!r}, not AVX2: its normal_ "
                         "rounds differently there, and ann reproduces the AVX2 kernels")
    torch.set_num_threads(1)
    facts = check_facts()
    doc = {
        "_generated_by": GENERATED_BY,
        "_torch_version": torch.__version__,
        "_cpu_capability": capability,
        "facts": facts,
        "cases": build(),
    }
    lines = ["{"]
    items = list(doc.items())
    for i, (k, v) in enumerate(items):
        sep = "," if i + 1 < len(items) else ""
        if k == "cases":
            lines.append('  "cases": [')
            lines += ["    " + encode(c) + ("," if j + 1 < len(v) else "") for j, c in enumerate(v)]
            lines.append("  ]" + sep)
        else:
            lines.append("  %s: %s%s" % (encode(k), encode(v), sep))
    lines.append("}")
    os.makedirs(args.out, exist_ok=True)
    path = os.path.join(args.out, "generator.json")
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    print(f"wrote {path}: {len(doc['cases'])} cases, {os.path.getsize(path)} bytes")


if __name__ == "__main__":
    main()
