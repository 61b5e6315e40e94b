r"""Stage 2.3, local convergence: GD on L_λ with an annealed weight decay (DESIGN §2.3).

    λ_k = λ₀ · factor^k  during epoch k = 0, …, epochs − 1  (steps_per_epoch steps each),
    θ ← θ − lr · ∇L_λ(θ),   L_λ = L + (λ/2)(‖a‖² + ‖W‖²_F),

with optional balancing (DESIGN §1.4) at each epoch boundary. An epoch ends early when it has converged:
‖∇L_λ‖ ≤ tol·λ at the end of a chunk of `log_every` steps (checked between chunks; the steps left in
the epoch are skipped, and inside a chunk the parameters stop moving once the criterion holds). Since
weight decay adds λ to every curvature of L_λ, ‖∇L_λ‖/λ bounds the distance to the epoch's minimiser
where L_λ is locally convex (‖θ − θ*_λ‖ ≤ ‖∇L_λ(θ)‖/λ for a λ-strongly convex L_λ), so `tol` is a
distance in parameter space.
`lr: auto` (the default) takes the step from the curvature of L_λ at the start of every epoch, with
backtracking inside the epoch (`featlearn.train.stepsize`).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from featlearn.config.stages import AnnealWeightDecay
from featlearn.model import balance
from featlearn.train import stepsize
from featlearn.train.iterative import Iterative, StepInfo, tree_norm
from featlearn.train.problem import Problem, Static, smooth_training_loss, training_loss


def lambda_schedule(cfg):
    """step ↦ λ₀ · factor^(step // steps_per_epoch) for a stage with those fields (anneal_weight_decay,
    gradient_flow), in the default float dtype (float64 with x64 on;
    optax's schedules compute in float32, which would round λ₀ = 1e-3 to 1.00000005e-3)."""
    lam0, factor, spe = float(cfg.lam0), float(cfg.factor), int(cfg.steps_per_epoch)

    def schedule(k):
        return lam0 * jnp.power(factor, jnp.floor_divide(k, spe).astype(jnp.result_type(float)))

    return schedule


def build(static: Static, cfg: AnnealWeightDecay, index: int) -> Iterative:
    sched = lambda_schedule(cfg)
    total = cfg.epochs * cfg.steps_per_epoch
    auto = cfg.lr == "auto"

    def at_boundary(k):
        return (k % cfg.steps_per_epoch == 0) & (k > 0)

    def prepared(params, k):
        """The point the step starts from: balanced at an epoch boundary."""
        if not cfg.balance:
            return params
        return jax.tree.map(lambda b, p: jnp.where(at_boundary(k), b, p), balance(params), params)

    def objective_at(problem, lam):
        return lambda p: smooth_training_loss(p, problem, static, lam)

    def init_state(params, problem: Problem):
        if not auto:
            return ()
        return stepsize.placeholder(params.a.dtype)  # estimated by `refresh` before the first step

    def refresh(params, state, k, problem: Problem):
        lam = jnp.asarray(sched(k), params.a.dtype)
        return stepsize.fresh(objective_at(problem, lam), prepared(params, k))

    def step(params, state, k, problem: Problem):
        lam = jnp.asarray(sched(k), params.a.dtype)
        params = prepared(params, k)
        loss, g = jax.value_and_grad(training_loss)(params, problem, static, lam)
        gnorm = tree_norm(g)
        if auto:
            state = stepsize.backtrack(state, loss)
            lr = state.lr
        else:
            lr = cfg.lr
        move = gnorm > cfg.tol * lam
        new = jax.tree.map(lambda p, gi: p - jnp.where(move, lr, 0.0) * gi, params, g)
        return new, state, StepInfo(loss, gnorm)

    early = {}
    if cfg.tol > 0:
        early = dict(epoch_done=lambda gnorm, lam: gnorm <= cfg.tol * lam, epoch_length=cfg.steps_per_epoch)
    if not auto:
        return Iterative(total=total, init_state=init_state, step=step, lam=sched, lr=cfg.lr, **early)
    return Iterative(total=total, init_state=init_state, step=step, lam=sched, refresh=refresh, refresh_every=cfg.steps_per_epoch,
                     lr_of=lambda state: state.lr, **early)
