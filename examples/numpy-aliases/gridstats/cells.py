"""Cell values: readings parsed from text, masks, summaries."""

import numpy as np

# np.float used to be the way to say "a Python float" here.
MISSING = "n/a"


def parse(values):
    return [np.float(v) for v in values if v != MISSING]


def as_grid(rows):
    return np.array(rows, dtype=np.float64)


def mask_of(rows):
    return np.array(
        [[v != MISSING for v in row] for row in rows],
        dtype=np.bool,
    )


def labels(rows):
    return np.array([str(r) for r in rows], dtype=np.object)


def count(grid):
    return np.int(grid.size)


def total(grid):
    return np.float(
        grid.sum()
    )


def scaled(np, value):
    # `np` here is a scaler object passed in, not NumPy.
    return np.float(value)
