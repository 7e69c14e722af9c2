from gridstats import legacy, typed
from gridstats.cells import as_grid


def test_conversions():
    assert legacy.to_int("7") == 7
    assert legacy.to_complex(1, 2) == complex(1, 2)
    assert legacy.is_true(1) is True


def test_typed_helpers():
    grid = as_grid([[1, 3]])
    assert typed.mean_of(grid) == 2.0
    assert typed.size_of(grid) == 2
