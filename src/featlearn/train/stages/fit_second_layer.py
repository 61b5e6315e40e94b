r"""Stage 2.2: second layer in closed form with W fixed (DESIGN §2.2).

Population mode:  a = argmin_a L(a, W) + (λ₂/2)‖a‖²  ⇔  (K(W,W) + λ₂ I) a = K(W,W*) a*
(with a linear head the trimmed kernel is used and the head is then set to its optimum).
Empirical mode: ridge regression of y on the features σ(W x) (and [1, x] for a head) with n₂ = `n` fresh
samples (or the training set when `n` is not given): (ΦᵀΦ/n + λ₂ I) a = Φᵀy/n. Both floor λ₂ at the rounding level of the Gram matrix
(`featlearn.objective.population.ridge_floor`). Then optional balancing (DESIGN §1.4).
"""

from __future__ import annotations

import jax.numpy as jnp

from featlearn.config.stages import FitSecondLayer
from featlearn.data import sample_data
from featlearn.gaussian import get_activation
from featlearn.model import Params, balance, features
from featlearn.objective import optimal_head, optimal_second_layer
from featlearn.objective.population import ridge_floor
from featlearn.train.iterative import OneShot
from featlearn.train.problem import Problem, Static, model_loss


def fit_second_layer(params: Params, key, problem: Problem, static: Static, cfg: FitSecondLayer):
    """Solve for a (and the head); returns (params, log dict with the loss and whether it is ≤ threshold)."""
    act = get_activation(static.activation)
    W, teacher = params.W, problem.teacher
    m = W.shape[0]
    if static.mode == "population":
        params = params._replace(a=optimal_second_layer(W, teacher, act, cfg.lam, trimmed=static.head))
        if static.head:
            params = optimal_head(params, teacher, act)
    else:
        if cfg.n is not None:  # n₂ fresh samples
            X, y = sample_data(teacher, static.activation, cfg.n, key, static.noise_std)
        else:  # the training set
            X, y = problem.X, problem.y
        n = X.shape[0]
        Phi = features(X, W, act)
        if static.head:
            Phi = jnp.concatenate([Phi, jnp.ones((n, 1), W.dtype), X], axis=1)
        p = Phi.shape[1]
        G = Phi.T @ Phi / n
        coef = jnp.linalg.solve(G + ridge_floor(cfg.lam, G) * jnp.eye(p, dtype=W.dtype), Phi.T @ y / n)
        params = params._replace(a=coef[:m])
        if static.head:
            params = params._replace(c=coef[m], v=coef[m + 1 :])
    if cfg.balance:
        params = balance(params)
    loss = model_loss(params, problem, static)
    return params, {"loss": loss, "below_threshold": loss <= cfg.threshold}


def build(static: Static, cfg: FitSecondLayer, index: int) -> OneShot:
    return OneShot(lambda params, key, problem: fit_second_layer(params, key, problem, static, cfg))
