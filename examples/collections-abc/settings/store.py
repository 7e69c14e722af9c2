"""A mutable store of settings that records which keys were changed."""

import collections


class Store(collections.MutableMapping):
    def __init__(self, initial=()):
        self._data = dict(initial)
        self.changed = set()

    def __getitem__(self, key):
        return self._data[key]

    def __setitem__(self, key, value):
        self._data[key] = value
        self.changed.add(key)

    def __delitem__(self, key):
        del self._data[key]
        self.changed.add(key)

    def __iter__(self):
        return iter(self._data)

    def __len__(self):
        return len(self._data)


def is_settings(obj):
    # Anything that behaves like collections.Mapping is accepted here.
    return isinstance(obj, collections.Mapping)
