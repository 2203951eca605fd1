"""What every fixture script of tools/parity/ shares: its --out option and how a fixture is written
(one line of compact JSON, stamped with the script and torch's version)."""
import argparse
import json
import os

import torch

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def output_directory(doc):
    """Parses the command line of a fixture script (its docstring as help): the --out directory."""
    parser = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default=os.path.join(REPO_ROOT, "tests", "fixtures"))
    return parser.parse_args().out


def write_fixture(out, filename, script, content):
    """Writes content (a dict) as out/filename, with "_generated_by" and "_torch_version" first."""
    fixture = {"_generated_by": "tools/parity/" + script, "_torch_version": torch.__version__}
    fixture.update(content)
    path = os.path.join(out, filename)
    with open(path, "w") as f:
        json.dump(fixture, f, separators=(",", ":"))
        f.write("\n")
    print("wrote", path)
