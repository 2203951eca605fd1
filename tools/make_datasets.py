#!/usr/bin/env python3
"""Writes small real data sets as CSV for ann's examples and tests (examples/data/), from the
copies Debian's python3-sklearn ships (no download). One header row; the target column last.
  iris           150 rows,  4 features, 3 species named by text
  wine           178 rows, 13 features, 3 cultivars numbered 0-2
  breast_cancer  569 rows, 30 features, diagnosis: malignant / benign
  digits        1797 rows, 64 features (8x8 pixel intensities 0-16), digit 0-9
  diabetes       442 rows, 10 features, progression: a number (regression)

How to run:  /usr/bin/python3 tools/make_datasets.py [--out examples/data]
"""
import argparse
import os

from sklearn import datasets

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def write(path, feature_names, X, target_name, y):
    with open(path, "w") as f:
        f.write(",".join(feature_names + [target_name]) + "\n")
        for row, label in zip(X, y):
            f.write(",".join("%.10g" % v for v in row) + "," + str(label) + "\n")
    print("wrote", path)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default=os.path.join(REPO_ROOT, "examples", "data"))
    out = parser.parse_args().out
    iris = datasets.load_iris()
    names = [n.replace(" (cm)", "").replace(" ", "_") for n in iris.feature_names]
    write(os.path.join(out, "iris.csv"), names, iris.data, "species", [iris.target_names[t] for t in iris.target])
    wine = datasets.load_wine()
    write(os.path.join(out, "wine.csv"), list(wine.feature_names), wine.data, "cultivar", list(wine.target))
    cancer = datasets.load_breast_cancer()
    write(os.path.join(out, "breast_cancer.csv"), [n.replace(" ", "_") for n in cancer.feature_names], cancer.data,
          "diagnosis", [cancer.target_names[t] for t in cancer.target])
    digits = datasets.load_digits()
    write(os.path.join(out, "digits.csv"), ["p%d_%d" % (i // 8, i % 8) for i in range(64)], digits.data.astype(int),
          "digit", list(digits.target))
    diabetes = datasets.load_diabetes()
    write(os.path.join(out, "diabetes.csv"), list(diabetes.feature_names), diabetes.data, "progression",
          ["%g" % v for v in diabetes.target])


if __name__ == "__main__":
    main()
