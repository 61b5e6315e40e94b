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
from featlearn.train.iterative import Iterative, StepInfo
from featlearn.train.problem import Problem, Static


def build(static: Static, cfg: Lazy, index: int) -> Iterative:
    act = static.activation

    def init_state(params: Params, problem: Problem):
        return linearised_quadratic(params.without_head(), problem.teacher, act)

    def objective(theta, quad, problem):
        delta = theta - quad.ravel(quad.params0)
        if static.mode == "population":
            base = linearised_loss(delta, quad)
        else:
            f0, jvp = jax.jvp(lambda p: forward(p, problem.X, act), (quad.params0,), (quad.unravel(delta),))
            base = 0.5 * jnp.mean((f0 + jvp - problem.y) ** 2)
        return base + 0.5 * cfg.lam * jnp.sum(theta * theta)

    def step(params: Params, quad, k, problem: Problem):
        theta = quad.ravel(params)
        loss, g = jax.value_and_grad(objective)(theta, quad, problem)
        new = quad.unravel(theta - cfg.lr * g)
        return params._replace(a=new.a, W=new.W), quad, StepInfo(loss, jnp.linalg.norm(g))

    def model_loss(params: Params, quad, problem: Problem):
        return linearised_loss(quad.ravel(params) - quad.ravel(quad.params0), quad)

    return Iterative(total=cfg.steps, init_state=init_state, step=step, lam=lambda k: jnp.asarray(cfg.lam), model_loss=model_loss, lr=cfg.lr)
