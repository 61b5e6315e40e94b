r"""Stage 2.3, local convergence: GD on L_λ with an annealed weight decay (DESIGN §2.3).

    λ_k = λ₀ · factor^k  during epoch k = 0, …, epochs − 1  (steps_per_epoch steps each),
    θ ← θ − lr · ∇L_λ(θ),   L_λ = L + (λ/2)(‖a‖² + ‖W‖²_F),

with optional balancing (DESIGN §1.4) at each epoch boundary. An epoch ends early when it has converged,
judged at the end of each chunk of `log_every` steps (between chunks; the steps left in the epoch are
skipped):

- ‖∇L_λ‖ ≤ tol·λ (inside a chunk the parameters stop moving once this holds). Since weight decay adds λ
  to every curvature of L_λ, ‖∇L_λ‖/λ bounds the distance to the epoch's minimiser where L_λ is locally
  convex (‖θ − θ*_λ‖ ≤ ‖∇L_λ(θ)‖/λ for a λ-strongly convex L_λ), so `tol` is a distance in parameter space;
- or the objective has stalled: |ΔL_λ| / (L_λ · Δsteps) ≤ rtol between the last steps of two chunks of
  the same epoch (so the first chunk of an epoch always runs). Late in the default schedule the distance
  test is held up by one slow mode (a light neuron turning towards its teacher at a rate ∝ λ): L_λ moves
  by ~1e-9 relative per 100 steps while the loss, the masses and the angles that decide recovery no
  longer change; rtol = 1e-10 ends those epochs after two chunks. A stalled epoch is not a minimiser:
  set rtol: 0 to run every epoch to the distance test.
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
    if cfg.tol > 0 or cfg.rtol > 0:
        done = (lambda gnorm, lam: gnorm <= cfg.tol * lam) if cfg.tol > 0 else None
        early = dict(epoch_done=done, epoch_length=cfg.steps_per_epoch, epoch_rtol=float(cfg.rtol))
    if not auto:
        return Iterative(total=total, init_state=init_state, step=step, lam=sched, lr=cfg.lr, **early)
    return Iterative(total=total, init_state=init_state, step=step, lam=sched, refresh=refresh, refresh_every=cfg.steps_per_epoch,
                     lr_of=lambda state: state.lr, **early)
