r"""Stage 2.1, early-stage feature learning: one large first-layer gradient step (DESIGN §2.1).

With weight decay 1/η on W the initial weights cancel:  W ← W − η(∇_W L(θ₀) + W/η) = −η ∇_W L(θ₀),
then every row is normalised to unit norm. From the symmetric initialisation f_θ₀ ≡ 0, so
∇_{w_j} L(θ₀) = −a_j E[f*(x) σ'(w_j·x) x]: the new rows lie (mostly) in the teacher subspace.
The linear head, if any, is fitted first (so the step sees only the degree ≥ 2 part of f*).
Population mode uses the exact gradient; empirical mode n₁ = `n` fresh samples (or, when `n` is not
given, the training set).

A float32 population step is computed in float64 when JAX has x64 on (one gradient, negligible cost):
at a small initialisation the step direction is the degree ≥ 2 part of the gradient, of size
O(‖w‖^{k*−1}) beside terms of size O(1) that the head cancels. In float32 that cancellation leaves
rounding noise of the same size as the signal when k* ≥ 3 (erf under the head: the rows then share one
spurious direction instead of spreading over the teacher subspace).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from featlearn.config.stages import OneStep
from featlearn.data import sample_data
from featlearn.gaussian.kernels import unit_rows
from featlearn.model import Params, forward, widest_float
from featlearn.objective import empirical_loss, optimal_head, population_loss
from featlearn.train.iterative import OneShot
from featlearn.train.problem import Problem, Static


def fit_head_least_squares(params: Params, X, y, activation) -> Params:
    """Empirical head: (c, v) = least squares of the residual y − f_θ(x) (without head) on [1, x]."""
    resid = y - forward(params.without_head(), X, activation)
    A = jnp.concatenate([jnp.ones((X.shape[0], 1), X.dtype), X], axis=1)
    coef = jnp.linalg.lstsq(A, resid)[0]
    return params._replace(c=coef[0], v=coef[1:])


def one_step(params: Params, key, problem: Problem, static: Static, cfg: OneStep):
    """Apply the one-step update; returns (params, log dict)."""
    act = static.activation
    if static.mode == "population":
        dtype, wide = params.W.dtype, widest_float()
        p64, t64 = params.astype(wide), problem.teacher.astype(wide)
        if static.head:
            p64 = optimal_head(p64, t64, act)
        g = jax.grad(lambda p: population_loss(p, t64, act))(p64).astype(dtype)
        params = p64.astype(dtype)
    else:
        if cfg.n is not None:  # n₁ fresh samples
            X, y = sample_data(problem.teacher, act, cfg.n, key, static.noise_std)
        else:  # the training set
            X, y = problem.X, problem.y
        if static.head:
            params = fit_head_least_squares(params, X, y, act)
        g = jax.grad(lambda p: empirical_loss(p, X, y, act))(params)
    W = -cfg.eta * g.W
    if cfg.normalize:
        W = unit_rows(W)
    return params._replace(W=W), {"grad_norm": jnp.linalg.norm(g.W)}


def build(static: Static, cfg: OneStep, index: int) -> OneShot:
    return OneShot(lambda params, key, problem: one_step(params, key, problem, static, cfg))
