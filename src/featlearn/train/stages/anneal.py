r"""Stage 2.3, local convergence: GD on L_λ with an annealed weight decay (DESIGN §2.3).

    λ_k = λ₀ · factor^k  during epoch k = 0, …, epochs − 1  (steps_per_epoch steps each),
    θ ← θ − lr · ∇L_λ(θ),   L_λ = L + (λ/2)(‖a‖² + ‖W‖²_F),

with optional balancing (DESIGN §1.4) at each epoch boundary; an epoch whose gradient norm falls to
tol·λ stops updating until the next epoch. The schedule is an optax piecewise-constant schedule.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import optax

from featlearn.config.stages import AnnealWeightDecay
from featlearn.model import balance
from featlearn.train.iterative import Iterative, StepInfo, tree_norm
from featlearn.train.problem import Problem, Static, training_loss


def lambda_schedule(cfg: AnnealWeightDecay) -> optax.Schedule:
    """step ↦ λ₀ · factor^(step // steps_per_epoch)."""
    return optax.exponential_decay(cfg.lam0, cfg.steps_per_epoch, cfg.factor, staircase=True)


def build(static: Static, cfg: AnnealWeightDecay, index: int) -> Iterative:
    sched = lambda_schedule(cfg)
    total = cfg.epochs * cfg.steps_per_epoch

    def step(params, state, k, problem: Problem):
        lam = jnp.asarray(sched(k), params.a.dtype)
        if cfg.balance:
            at_boundary = (k % cfg.steps_per_epoch == 0) & (k > 0)
            params = jax.tree.map(lambda b, p: jnp.where(at_boundary, b, p), balance(params), params)
        loss, g = jax.value_and_grad(training_loss)(params, problem, static, lam)
        gnorm = tree_norm(g)
        move = gnorm > cfg.tol * lam
        new = jax.tree.map(lambda p, gi: p - jnp.where(move, cfg.lr, 0.0) * gi, params, g)
        return new, state, StepInfo(loss, gnorm)

    return Iterative(total=total, init_state=lambda params, problem: (), step=step, lam=sched, lr=cfg.lr)
