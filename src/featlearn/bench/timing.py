"""Timing helpers: best-of-k wall time of a callable (after one warm-up call)."""

from __future__ import annotations

import time
from typing import Callable


def best_time(fn: Callable[[], object], repeat: int = 5, number: int = 1) -> float:
    """Smallest wall time of `number` calls of `fn`, over `repeat` trials, per call (s)."""
    fn()  # warm-up (and compile)
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        for _ in range(number):
            fn()
        best = min(best, (time.perf_counter() - t) / number)
    return best
