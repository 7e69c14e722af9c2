import numpy as np

from gridstats import cells


class Scaler:
    def __init__(self, factor):
        self.factor = factor

    def float(self, value):
        return float(value) * self.factor


def test_parse_skips_missing_values():
    assert cells.parse(["1.5", "n/a", "2"]) == [1.5, 2.0]


def test_mask_and_labels():
    rows = [["1", "n/a"], ["n/a", "2"]]
    assert cells.mask_of(rows).tolist() == [[True, False], [False, True]]
    assert cells.labels([1, 2]).dtype == object


def test_count_and_total():
    grid = cells.as_grid([[1, 2], [3, 4]])
    assert cells.count(grid) == 4 and type(cells.count(grid)) is int
    assert cells.total(grid) == 10.0 and type(cells.total(grid)) is float


def test_a_scaler_named_np_keeps_its_own_method():
    assert cells.scaled(Scaler(2), "1.5") == 3.0
    assert np.int32(3) == 3
