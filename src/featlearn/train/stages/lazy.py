r"""Lazy / NTK-regime training: GD on the model linearised at its initialisation θ₀ (DESIGN §2 "lazy").

    f_lin(x; θ₀ + Δ) = f_θ₀(x) + ⟨∇_θ f_θ₀(x), Δ⟩,    θ ← θ − lr·∇_θ [L_lin(θ − θ₀) + (λ/2)‖θ‖²].

Population mode: L_lin(Δ) = L₀ + gᵀΔ + ½ΔᵀGΔ exactly (`featlearn.objective.linearised`). Empirical mode:
L̂_lin(Δ) = (1/2n) Σ (f_θ₀(x_i) + jvp(x_i; Δ) − y_i)². The logged population loss is the exact L_lin of
the linearised model (the model being trained), in both modes.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from featlearn.config.stages import Lazy
from featlearn.model import Params, forward
from featlearn.objective.linearised import linearised_loss, linearised_quadratic
from featlearn.train import stepsize
from featlearn.train.iterative import Iterative, StepInfo
from featlearn.train.problem import Problem, Static


def build(static: Static, cfg: Lazy, index: int) -> Iterative:
    act = static.activation

    auto = cfg.lr == "auto"

    def init_state(params: Params, problem: Problem):
        quad = linearised_quadratic(params.without_head(), problem.teacher, act)
        if not auto:
            return quad
        return quad, stepsize.placeholder(params.a.dtype)  # estimated by `refresh` before the first step

    def refresh(params, state, k, problem: Problem):
        quad = state[0]
        return quad, stepsize.fresh(lambda t: objective(t, quad, problem), quad.ravel(params))

    def objective(theta, quad, problem):
        delta = theta - quad.ravel(quad.params0)
        if static.mode == "population":
            base = linearised_loss(delta, quad)
        else:
            f0, jvp = jax.jvp(lambda p: forward(p, problem.X, act), (quad.params0,), (quad.unravel(delta),))
            base = 0.5 * jnp.mean((f0 + jvp - problem.y) ** 2)
        return base + 0.5 * cfg.lam * jnp.sum(theta * theta)

    def step(params: Params, state, k, problem: Problem):
        quad = state[0] if auto else state
        theta = quad.ravel(params)
        loss, g = jax.value_and_grad(objective)(theta, quad, problem)
        if auto:
            state = (quad, stepsize.backtrack(state[1], loss))
            lr = state[1].lr
        else:
            lr = cfg.lr
        new = quad.unravel(theta - lr * g)
        return params._replace(a=new.a, W=new.W), state, StepInfo(loss, jnp.linalg.norm(g))

    def model_loss(params: Params, state, problem: Problem):
        quad = state[0] if auto else state
        return linearised_loss(quad.ravel(params) - quad.ravel(quad.params0), quad)

    lam = lambda k: jnp.asarray(cfg.lam)  # noqa: E731
    if not auto:
        return Iterative(total=cfg.steps, init_state=init_state, step=step, lam=lam, model_loss=model_loss, lr=cfg.lr)
    return Iterative(total=cfg.steps, init_state=init_state, step=step, lam=lam, model_loss=model_loss, refresh=refresh,
                     refresh_every=cfg.steps, lr_of=lambda state: state[1].lr)
