#!/usr/bin/env python3
"""Safetensors interop between ann and PyTorch, both ways, without the `safetensors` package.

1. PyTorch -> ann (writes fixtures the C++ tests read):
     /usr/bin/python3 tools/parity/safetensors_roundtrip.py [--out tests/fixtures]
   builds the lesson's model Sequential(Linear(2,100), ReLU(), Linear(100,3)) after
   torch.manual_seed(5) and writes
     torch_model.safetensors         its state_dict ("0.weight", "0.bias", "2.weight", "2.bias")
                                     with ann's architecture metadata (ann.arch = mlp, ...)
     torch_model_outputs.json        {"inputs": [[x0, x1], ...], "outputs": [[...], ...]}
   tests/test_serialize_interop.cpp loads the file into ann's model and compares the outputs.

2. ann -> PyTorch (checks a file ann wrote):
     /usr/bin/python3 tools/parity/safetensors_roundtrip.py --check tests/fixtures/ann_model.safetensors
         [--outputs tests/fixtures/ann_model_outputs.json]
   rebuilds the model from the file's "ann.*" metadata, loads the tensors with
   load_state_dict(strict=True), runs it on the inputs recorded by ann and compares with ann's
   outputs (|difference| <= 1e-6). Prints OK or FAIL; exits 1 on FAIL.
   (ann_model.safetensors and its outputs are written by the C++ test
   serialize_interop.AnnFixtureIsReproduced when run with ANN_UPDATE_FIXTURES=1.)

Needs PyTorch (Debian: apt-get install python3-torch, run with /usr/bin/python3).
The format (https://github.com/huggingface/safetensors): 8-byte little-endian header length N,
N bytes of JSON {name: {"dtype", "shape", "data_offsets": [begin, end]}, "__metadata__": {...}}
padded with spaces, then the little-endian data; offsets are relative to the data section.
"""
import argparse
import json
import os
import struct
import sys

import torch
from torch import nn

GENERATED_BY = "tools/parity/safetensors_roundtrip.py"
REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEFAULT_OUT = os.path.join(REPO_ROOT, "tests", "fixtures")
TOLERANCE = 1e-6

DTYPES = {"F32": torch.float32, "I64": torch.int64, "BOOL": torch.bool}
DTYPE_NAMES = {v: k for k, v in DTYPES.items()}
ELEMENT_SIZE = {"F32": 4, "I64": 8, "BOOL": 1}

# Fixed inputs: the origin, points on the spiral's scale, and two outside it.
INPUTS = [[0.0, 0.0], [0.5, -0.25], [-1.0, 1.0], [0.3, 0.7], [1.5, -2.0], [-0.8, -0.6]]

ACTIVATIONS = {"relu": nn.ReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid, "none": None}


# ---------------------------------------------------------------------------- the format

def write_safetensors(path, tensors, metadata=None):
    """tensors: list of (name, tensor) in file order; metadata: dict of str -> str."""
    header = {}
    if metadata:
        header["__metadata__"] = dict(metadata)
    chunks, offset = [], 0
    for name, t in tensors:
        t = t.detach().contiguous().cpu()
        data = t.numpy().tobytes()  # numpy writes the host's (little-endian) order
        header[name] = {"dtype": DTYPE_NAMES[t.dtype], "shape": list(t.shape),
                        "data_offsets": [offset, offset + len(data)]}
        chunks.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for c in chunks:
            f.write(c)


def read_safetensors(path):
    """Returns (dict name -> tensor, metadata dict), checking the spec's layout rules."""
    with open(path, "rb") as f:
        blob = f.read()
    if len(blob) < 8:
        raise ValueError(f"{path}: too short")
    (n,) = struct.unpack("<Q", blob[:8])
    if n > len(blob) - 8:
        raise ValueError(f"{path}: header length {n} exceeds the file")
    header = json.loads(blob[8:8 + n].decode("utf-8"))
    data = blob[8 + n:]
    metadata = header.pop("__metadata__", {})
    tensors, spans = {}, []
    for name, info in header.items():
        begin, end = info["data_offsets"]
        shape = info["shape"]
        count = 1
        for s in shape:
            count *= s
        if end - begin != count * ELEMENT_SIZE[info["dtype"]] or end > len(data):
            raise ValueError(f"{path}: tensor {name}: bad data_offsets")
        t = torch.frombuffer(bytearray(data[begin:end]), dtype=DTYPES[info["dtype"]]) if end > begin \
            else torch.empty(0, dtype=DTYPES[info["dtype"]])
        tensors[name] = t.reshape(shape).clone()
        spans.append((begin, end))
    cursor = 0
    for begin, end in sorted(spans):
        if begin != cursor:
            raise ValueError(f"{path}: tensors overlap or leave a hole at byte {cursor}")
        cursor = end
    if cursor != len(data):
        raise ValueError(f"{path}: {len(data) - cursor} trailing bytes")
    return tensors, metadata


# ---------------------------------------------------------------------------- models

def build_mlp(D, H, layers, C, activation):
    """As ann's lesson::make_mlp and make_fixtures.build_model."""
    act = ACTIVATIONS[activation]
    modules = []
    for i in range(layers):
        modules.append(nn.Linear(D if i == 0 else H, H))
        if act is not None:
            modules.append(act())
    modules.append(nn.Linear(H, C))
    return nn.Sequential(*modules)


def mlp_from_metadata(metadata):
    if metadata.get("ann.arch") != "mlp":
        raise ValueError("the file's metadata does not describe an ann MLP (ann.arch != mlp)")
    return build_mlp(int(metadata["ann.in"]), int(metadata["ann.hidden"]), int(metadata["ann.layers"]),
                     int(metadata["ann.out"]), metadata["ann.activation"])


def outputs_of(model, inputs):
    with torch.no_grad():
        return model(torch.tensor(inputs, dtype=torch.float32))


# ---------------------------------------------------------------------------- the two commands

def write_torch_fixture(out_dir):
    torch.manual_seed(5)
    model = nn.Sequential(nn.Linear(2, 100), nn.ReLU(), nn.Linear(100, 3))
    metadata = {"format": "pt", "ann.arch": "mlp", "ann.in": "2", "ann.hidden": "100", "ann.layers": "1",
                "ann.out": "3", "ann.activation": "relu"}
    model_path = os.path.join(out_dir, "torch_model.safetensors")
    write_safetensors(model_path, list(model.state_dict().items()), metadata)
    outputs = outputs_of(model, INPUTS)
    doc = {"_generated_by": GENERATED_BY, "_torch_version": torch.__version__,
           "model": "Sequential(Linear(2,100), ReLU(), Linear(100,3)) after torch.manual_seed(5)",
           "inputs": INPUTS, "outputs": [[float("%.9g" % v) for v in row] for row in outputs.tolist()]}
    outputs_path = os.path.join(out_dir, "torch_model_outputs.json")
    with open(outputs_path, "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")
    # Reading our own file back must give the same state_dict: the writer and reader agree.
    again, _ = read_safetensors(model_path)
    for name, t in model.state_dict().items():
        assert torch.equal(again[name], t), name
    print(f"wrote {model_path} and {outputs_path}")


def check_ann_file(path, outputs_path):
    tensors, metadata = read_safetensors(path)
    model = mlp_from_metadata(metadata)
    model.load_state_dict(tensors, strict=True)
    with open(outputs_path) as f:
        recorded = json.load(f)
    ours = outputs_of(model, recorded["inputs"])
    theirs = torch.tensor(recorded["outputs"], dtype=torch.float32)
    worst = (ours - theirs).abs().max().item() if ours.shape == theirs.shape else float("inf")
    ok = worst <= TOLERANCE
    print(f"{'OK' if ok else 'FAIL'}: {path} loaded into {model_string(model)}; "
          f"max |torch - ann| over {len(recorded['inputs'])} inputs = {worst:.3g} (tolerance {TOLERANCE:g})")
    return ok


def model_string(model):
    return " ".join(str(model).split())


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", default=DEFAULT_OUT, help="where to write the torch fixtures")
    parser.add_argument("--check", metavar="FILE", help="a .safetensors file written by ann to check")
    parser.add_argument("--outputs", metavar="JSON",
                        help="ann's recorded outputs (default: FILE with _outputs.json for .safetensors)")
    args = parser.parse_args()
    torch.set_num_threads(1)
    if args.check:
        outputs = args.outputs or args.check[:-len(".safetensors")] + "_outputs.json"
        sys.exit(0 if check_ann_file(args.check, outputs) else 1)
    write_torch_fixture(args.out)


if __name__ == "__main__":
    main()
