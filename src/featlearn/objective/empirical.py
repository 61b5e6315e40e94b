r"""Empirical square loss on samples (DESIGN §1.2): L̂(θ) = (1/2n) Σ_i (f_θ(x_i) − y_i)²."""

from __future__ import annotations

import jax
import jax.numpy as jnp

from featlearn.model import Params, forward


def empirical_loss(params: Params, X, y, activation) -> jax.Array:
    r"""L̂(θ) = (1/2n) Σ_i (f_θ(x_i) − y_i)² over the rows of X (n, d) and labels y (n,).

    Example:
      >>> import jax, featlearn
      >>> t = featlearn.make_teacher(3, 2, jax.random.PRNGKey(0))
      >>> X, y = featlearn.sample_data(t, "relu", 100, jax.random.PRNGKey(1))
      >>> float(featlearn.empirical_loss(t, X, y, "relu"))
      0.0
    """
    r = forward(params, X, activation) - y
    return 0.5 * jnp.mean(r * r)
