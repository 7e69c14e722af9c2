"""Conversions kept for old callers."""

import numpy


def to_int(text):
    return numpy.int(text)


def to_complex(re_part, im_part):
    return numpy.complex(re_part, im_part)


def is_true(value):
    return numpy.bool(value)
