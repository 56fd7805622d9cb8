"""Percentiles and small summaries of timing samples (seconds in, milliseconds out)."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any


def percentile(values: Sequence[float], q: float) -> float:
    """Linear-interpolated percentile (``q`` in 0..100) of ``values``; NaN when there are none."""
    if not values:
        return math.nan
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    rank = (len(ordered) - 1) * q / 100.0
    low = math.floor(rank)
    high = math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def summary_ms(seconds: Iterable[float]) -> dict[str, Any]:
    """n, mean, p50, p95, p99 and max in milliseconds, rounded to 0.1 ms."""
    values = [s * 1000.0 for s in seconds]
    if not values:
        return {"n": 0}
    return {
        "n": len(values),
        "mean_ms": round(sum(values) / len(values), 1),
        "p50_ms": round(percentile(values, 50), 1),
        "p95_ms": round(percentile(values, 95), 1),
        "p99_ms": round(percentile(values, 99), 1),
        "max_ms": round(max(values), 1),
    }


def ratio(ours: dict[str, Any], floor: dict[str, Any], key: str) -> float | None:
    if ours.get(key) is None or not floor.get(key):
        return None
    return round(float(ours[key]) / float(floor[key]), 2)


def median(values: Sequence[float]) -> float:
    return percentile(values, 50)
