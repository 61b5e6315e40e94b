r"""Weight decay (DESIGN §1.2): L_λ(θ) = L(θ) + (λ/2)(‖a‖² + ‖W‖²_F), never on the linear head."""

from __future__ import annotations

import jax
import jax.numpy as jnp

from featlearn.model import Params
from featlearn.objective.empirical import empirical_loss
from featlearn.objective.population import population_loss


def weight_decay(params: Params) -> jax.Array:
    """½(‖a‖² + ‖W‖²_F) (the linear head is not decayed)."""
    return 0.5 * (jnp.sum(params.a**2) + jnp.sum(params.W**2))


def regularised_population_loss(params: Params, teacher: Params, activation, lam) -> jax.Array:
    r"""L_λ(θ) = L(θ) + (λ/2)(‖a‖² + ‖W‖²_F) with L the exact population loss."""
    return population_loss(params, teacher, activation) + lam * weight_decay(params)


def regularised_empirical_loss(params: Params, X, y, activation, lam) -> jax.Array:
    r"""L̂_λ(θ) = L̂(θ) + (λ/2)(‖a‖² + ‖W‖²_F) with L̂ the empirical loss on (X, y)."""
    return empirical_loss(params, X, y, activation) + lam * weight_decay(params)
