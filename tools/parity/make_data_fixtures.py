#!/usr/bin/env python3
"""PyTorch oracle for ann's data pipeline: writes tests/fixtures/data_loader.json.

What it records (PyTorch 1.13 from Debian: apt-get install python3-torch):
  randperm      torch.randperm(n, generator=torch.Generator().manual_seed(seed)) for a few n
  int64_random  torch.empty((), dtype=torch.int64).random_() right after manual_seed(seed)
  loaders       torch.utils.data.DataLoader(TensorDataset(X, y), ...) over several epochs: the
                sample indices of every batch, then torch.rand(4) (and the loader generator's
                own rand(4) when one is given), which shows how far each stream has moved
  splits        torch.utils.data.random_split: the sample indices of each part

How to run:  /usr/bin/python3 tools/parity/make_data_fixtures.py [--out tests/fixtures]
The output is generated: do not edit it by hand.
"""
import json

import torch
from torch.utils.data import DataLoader, TensorDataset, random_split

from fixture_io import output_directory, write_fixture


def floats(t):
    return [float("%.9g" % v) for v in t.tolist()]


def dataset(n):
    # X's only column is the sample's index, so a batch names its samples
    return TensorDataset(torch.arange(n, dtype=torch.float32).unsqueeze(1), torch.arange(n) * 10)


def loader_case(name, n, batch_size, shuffle, drop_last, epochs, global_seed, generator_seed=None):
    torch.manual_seed(global_seed)
    generator = torch.Generator().manual_seed(generator_seed) if generator_seed is not None else None
    loader = DataLoader(dataset(n), batch_size=batch_size, shuffle=shuffle, drop_last=drop_last, generator=generator)
    epochs_seen = []
    for _ in range(epochs):
        batches = []
        for X, y in loader:
            assert (y == X[:, 0].long() * 10).all()
            batches.append([int(v) for v in X[:, 0].tolist()])
        epochs_seen.append(batches)
    case = {"name": name, "n": n, "batch_size": batch_size, "shuffle": shuffle, "drop_last": drop_last,
            "epochs": epochs, "global_seed": global_seed, "generator_seed": generator_seed,
            "batches": epochs_seen, "global_rand_after": floats(torch.rand(4))}
    if generator is not None:
        case["generator_rand_after"] = floats(torch.rand(4, generator=generator))
    return case


def split_case(name, n, lengths, global_seed, generator_seed=None):
    torch.manual_seed(global_seed)
    kwargs = {"generator": torch.Generator().manual_seed(generator_seed)} if generator_seed is not None else {}
    parts = random_split(dataset(n), lengths, **kwargs)
    return {"name": name, "n": n, "lengths": lengths, "global_seed": global_seed, "generator_seed": generator_seed,
            "parts": [[int(v) for v in part.indices] for part in parts], "global_rand_after": floats(torch.rand(4))}


def main():
    out = output_directory(__doc__)
    fixture = {}
    fixture["randperm"] = [{"seed": s, "n": n, "perm": torch.randperm(n, generator=torch.Generator().manual_seed(s)).tolist()}
                           for s, n in [(0, 0), (0, 1), (0, 10), (5, 7), (123, 1000), (2**32 + 9, 33)]]
    fixture["int64_random"] = []
    for s in [0, 1, 12345]:
        torch.manual_seed(s)
        fixture["int64_random"].append({"seed": s, "value": int(torch.empty((), dtype=torch.int64).random_().item())})
    fixture["loaders"] = [
        loader_case("in_order", 10, 3, False, False, 2, 0),
        loader_case("shuffled", 10, 4, True, False, 3, 42),
        loader_case("shuffled_drop_last", 11, 4, True, True, 2, 7),
        loader_case("own_generator", 9, 2, True, False, 2, 3, generator_seed=99),
        loader_case("own_generator_full_batches", 8, 2, True, False, 3, 3, generator_seed=98),
        loader_case("own_generator_drop_last", 9, 4, True, True, 3, 3, generator_seed=97),
        loader_case("single_samples", 5, 1, True, False, 2, 12345),
        loader_case("batch_larger_than_data", 3, 8, True, False, 1, 5),
        loader_case("all_dropped", 3, 8, True, True, 1, 5),
    ]
    fixture["splits"] = [
        split_case("counts", 10, [3, 7], 0, generator_seed=42),
        split_case("fractions", 30, [0.3, 0.3, 0.4], 0, generator_seed=42),
        split_case("fractions_with_remainder", 13, [0.8, 0.2], 1),
        split_case("three_way_remainder", 10, [0.25, 0.25, 0.5], 2),
    ]
    write_fixture(out, "data_loader.json", "make_data_fixtures.py", fixture)


if __name__ == "__main__":
    main()
