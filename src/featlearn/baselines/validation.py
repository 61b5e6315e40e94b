"""Ridge parameters chosen on a validation split (DESIGN §7.7), not by test risk.

`choose_alpha(fit, X, y, alphas)` holds out a fixed random fraction of the training set, fits each α on
the rest, keeps the α with the least mean squared error on the held-out labels (noisy labels: what a
practitioner has), then refits that α on the whole training set. Ties go to the larger α (the smoother
model).
"""

from __future__ import annotations

from typing import Callable, NamedTuple, Sequence

import numpy as np


class Choice(NamedTuple):
    """The chosen α, the model refitted on all the training data with it, and the validation MSE of every α."""

    alpha: float
    model: object
    validation_mse: dict


def split(n: int, fraction: float = 0.2, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(train, validation) index arrays: a seeded permutation, `fraction` of n (at least 1) held out."""
    if not 0 < fraction < 1:
        raise ValueError(f"fraction: must lie strictly between 0 and 1, got {fraction}")
    if n < 2:
        raise ValueError(f"n: a validation split needs at least 2 samples, got {n}")
    perm = np.random.default_rng(seed).permutation(n)
    k = min(max(1, int(round(fraction * n))), n - 1)
    return np.sort(perm[k:]), np.sort(perm[:k])


def choose_alpha(fit: Callable, X, y, alphas: Sequence[float], *, fraction: float = 0.2, seed: int = 0) -> Choice:
    """`fit(X, y, alpha)` returns a model with `.predict(X)`; the α of least validation MSE, refitted on all data."""
    X, y = np.asarray(X), np.asarray(y)
    if not len(alphas):
        raise ValueError("alphas: give at least one ridge parameter")
    tr, va = split(len(y), fraction, seed)
    mse = {}
    for a in alphas:
        pred = np.asarray(fit(X[tr], y[tr], a).predict(X[va]))
        mse[float(a)] = float(np.mean((pred - y[va]) ** 2))
    best = min(sorted(mse, reverse=True), key=lambda a: mse[a])
    return Choice(best, fit(X, y, best), mse)


__all__ = ["Choice", "choose_alpha", "split"]
