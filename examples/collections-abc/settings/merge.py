"""Deep merge of nested settings."""

import collections.abc
from collections import MutableMapping as MM


def merge(into, other):
    if not isinstance(into, MM):
        raise TypeError("can only merge into a mutable mapping")
    for key, value in other.items():
        if isinstance(value, dict) and isinstance(into.get(key), MM):
            merge(into[key], value)
        else:
            into[key] = value
    return into


def merge_all(into, others):
    if not isinstance(others, collections.abc.Iterable):
        raise TypeError("others must be iterable")
    for other in others:
        merge(into, other)
    return into
