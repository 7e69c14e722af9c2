"""Read-only views of settings."""

import collections

NOTE = "views accept any collections.Mapping"


def keys_of(mapping):
    if not isinstance(mapping, collections.Mapping):
        raise TypeError("not a mapping")
    return sorted(mapping)


def grouped(items):
    collections = {}
    for key, value in items:
        collections.setdefault(key, []).append(value)
    return collections
