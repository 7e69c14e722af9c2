"""Layers of settings, looked up from the top one down."""

from collections import OrderedDict, Mapping


class Layers:
    def __init__(self):
        self._layers = OrderedDict()

    def push(self, name, values):
        if not isinstance(values, Mapping):
            raise TypeError(f"layer {name!r} must be a mapping, not {type(values).__name__}")
        self._layers[name] = dict(values)

    def get(self, key, default=None):
        for values in reversed(self._layers.values()):
            if key in values:
                return values[key]
        return default

    def names(self):
        return list(self._layers)
