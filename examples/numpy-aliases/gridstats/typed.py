"""Typed helpers: NumPy appears here in an annotation only."""

import numpy as np


def mean_of(grid: "np.ndarray"):
    return np.float(grid.mean())


def size_of(grid: "np.ndarray"):
    return np.int(grid.size)
