"""Small 3-vector helpers on plain lists, in the order of operations native/guidance.c uses."""

from __future__ import annotations

import math


def dot3(a, b) -> float:
    return a[0] * b[0] + a[1] * b[1] + a[2] * b[2]


def norm3(a) -> float:
    return math.sqrt(dot3(a, a))


def cross3(a, b) -> list[float]:
    return [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]]


def finite3(a) -> bool:
    return math.isfinite(a[0]) and math.isfinite(a[1]) and math.isfinite(a[2])
