r"""Gradient flow on L_λ: dθ/dt = −∇L_λ(θ), integrated by diffrax with an adaptive step (DESIGN §7.6).

    λ_k = λ₀ · factor^k  during epoch k = 0, …, epochs − 1  (factor = 1: a fixed λ),

Each of the stage's `steps_per_epoch` "steps" per epoch integrates the flow over flow time `dt` (one
`diffeqsolve` from the current point, PID-controlled steps with tolerances `rtol`, `atol`), so the
metrics, the checkpoints, resuming and the seed batch work on the same grid as a GD stage: step k of the
stage is flow time t = k·dt (GD with step size lr covers time lr per step). Solvers: tsit5 and dopri5
(explicit; their step is bounded by the stiffness, ~3/λ_max(∇²L_λ)). An implicit solver (diffrax's
Kvaerno5) was tried for the stiff late phase and is not offered: with flow time 250 per interval on a
d = 5, m = 8 problem it diverged (its Newton iterations on the full Jacobian) and took 25 minutes. An interval that the solver cannot finish
within `max_solver_steps` steps leaves NaN parameters, which the driver reports as a diverged seed
with the stage named.
"""

from __future__ import annotations

import diffrax
import jax
import jax.numpy as jnp

from featlearn.config.stages import GradientFlow
from featlearn.train.iterative import Iterative, StepInfo, tree_norm
from featlearn.train.stages.anneal import lambda_schedule  # the same λ₀·factor^epoch schedule
from featlearn.train.problem import Problem, Static, training_loss

SOLVERS = {"tsit5": diffrax.Tsit5, "dopri5": diffrax.Dopri5}


def build(static: Static, cfg: GradientFlow, index: int) -> Iterative:
    sched = lambda_schedule(cfg)
    solver = SOLVERS[cfg.solver]()
    controller = diffrax.PIDController(rtol=cfg.rtol, atol=cfg.atol)

    def init_state(params, problem: Problem):
        return ()

    def step(params, state, k, problem: Problem):
        lam = jnp.asarray(sched(k), params.a.dtype)
        loss, g = jax.value_and_grad(training_loss)(params, problem, static, lam)

        def field(t, y, args):
            return jax.tree.map(jnp.negative, jax.grad(training_loss)(y, problem, static, lam))

        dtype = params.a.dtype  # flow time in the parameters' dtype (float32 networks: no float64 mixing)
        sol = diffrax.diffeqsolve(diffrax.ODETerm(field), solver, t0=jnp.asarray(0.0, dtype), t1=jnp.asarray(cfg.dt, dtype), dt0=None, y0=params,
                                  stepsize_controller=controller, saveat=diffrax.SaveAt(t1=True),
                                  max_steps=cfg.max_solver_steps, throw=False)
        ok = sol.result == diffrax.RESULTS.successful
        new = jax.tree.map(lambda y: jnp.where(ok, y[-1], jnp.nan).astype(y.dtype), sol.ys)
        return new, state, StepInfo(loss, tree_norm(g))

    return Iterative(total=cfg.epochs * cfg.steps_per_epoch, init_state=init_state, step=step, lam=sched)


__all__ = ["SOLVERS", "build"]
