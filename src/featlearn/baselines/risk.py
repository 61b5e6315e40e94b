r"""Monte-Carlo test risk of any predictor against a known teacher (DESIGN §2: ntk_krr / nngp_krr).

The excess risk uses the same ½ normalisation as `featlearn.population_loss` (DESIGN §1.2):

    R(f̂) = ½ E_x[(f̂(x) − f*(x))²],      x ~ N(0, I_d),

estimated on n_test fresh points x_t by R̂ = mean_t e_t, e_t = ½ (f̂(x_t) − f*(x_t))², with standard error
std(e)/√n_test. With label noise (noise_std = s > 0) the points are scored against noisy labels
y_t = f*(x_t) + ξ_t, as a held-out test set would be, and s²/2 is subtracted:
e_t = ½ (f̂(x_t) − y_t)² − s²/2, still an unbiased estimate of the same excess risk R(f̂) (ξ is
independent of f̂), with a larger standard error.
"""

from __future__ import annotations

import math
from typing import Callable, NamedTuple

import jax
import numpy as np

from featlearn.data import sample_data
from featlearn.model import Params


_sample = jax.jit(sample_data, static_argnames=("activation", "n", "noise_std"))


class MCRisk(NamedTuple):
    """Monte-Carlo excess risk: `estimate` ± `standard_error` (unpacks as a pair)."""

    estimate: float
    standard_error: float


def mc_test_risk(
    predict_fn: Callable[[np.ndarray], np.ndarray],
    teacher: Params,
    activation,
    n_test: int,
    key,
    noise_std: float = 0.0,
    *,
    block_size: int = 16384,
) -> MCRisk:
    r"""Monte-Carlo estimate of R(f̂) = ½ E[(f̂(x) − f*(x))²] on fresh Gaussian points, with its standard error.

    Args:
      predict_fn: maps a float64 numpy array (p, d) to p predictions (e.g. `model.predict`).
      teacher: the teacher `Params` (d = teacher.W.shape[-1]).
      activation: the teacher's activation.
      n_test: number of fresh test points (drawn in blocks of `block_size`, block b from
        `jax.random.fold_in(key, b)`).
      key: PRNG key.
      noise_std: label-noise s of the test labels (see the module docstring); 0 scores against f* itself.
      block_size: points per block (bounds the memory of predict_fn's input).

    Returns:
      `MCRisk(estimate, standard_error)`.

    Example:
      >>> import jax, numpy as np, featlearn
      >>> t = featlearn.make_teacher(3, 2, jax.random.PRNGKey(0))
      >>> est, se = mc_test_risk(lambda X: np.asarray(featlearn.forward(t, X, "relu")), t, "relu", 1000, jax.random.PRNGKey(1))
      >>> est, se
      (0.0, 0.0)
    """
    n_test, block_size = int(n_test), int(block_size)
    if n_test < 2:
        raise ValueError(f"n_test: need at least 2 test points for a standard error, got {n_test}")
    total, total_sq, done, b = 0.0, 0.0, 0, 0
    while done < n_test:
        nb = min(block_size, n_test - done)
        X, y = _sample(teacher, activation, nb, jax.random.fold_in(key, b), float(noise_std))
        X, y = np.asarray(X, np.float64), np.asarray(y, np.float64)
        pred = np.asarray(predict_fn(X), np.float64).reshape(-1)
        if pred.shape != (nb,):
            raise ValueError(f"predict_fn: expected {nb} predictions for {nb} points, got shape {pred.shape}")
        e = 0.5 * (pred - y) ** 2 - 0.5 * noise_std**2
        total += float(e.sum())
        total_sq += float((e * e).sum())
        done, b = done + nb, b + 1
    mean = total / n_test
    var = max(total_sq / n_test - mean * mean, 0.0) * n_test / (n_test - 1)
    return MCRisk(mean, math.sqrt(var / n_test))
