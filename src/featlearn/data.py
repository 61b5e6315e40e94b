"""Sampling Gaussian inputs and teacher labels (DESIGN §1)."""

from __future__ import annotations

import jax

from featlearn.gaussian.activations import get_activation
from featlearn.model import Params, forward


def sample_data(teacher: Params, activation, n: int, key, noise_std: float = 0.0):
    r"""Draw x_i ~ N(0, I_d) and y_i = f*(x_i) + ξ_i, ξ_i ~ N(0, noise_std²).

    Args:
      teacher: the teacher network.
      activation: activation name (of a misspecified pair "student|teacher": the teacher's is used).
      n: number of samples.
      key: PRNG key.
      noise_std: label-noise standard deviation s (adds s²/2 to the risk, not to the excess loss).

    Returns:
      (X (n, d), y (n,)).
    """
    kx, kn = jax.random.split(key)
    X = jax.random.normal(kx, (n, teacher.W.shape[-1]), teacher.W.dtype)
    act = get_activation(activation)
    y = forward(teacher, X, act.teacher or act)
    if noise_std:
        y = y + noise_std * jax.random.normal(kn, (n,), y.dtype)
    return X, y
