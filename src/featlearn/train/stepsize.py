r"""Step sizes that fit the problem (DESIGN §7.3).

`lr: auto` takes the step from the curvature of the stage's objective f = L_λ at the current point:

    lr = safety · 2 / λ_max,      λ_max = the largest |eigenvalue| of ∇²f(θ),

(gradient descent is stable for lr < 2/λ_max; `safety` = 0.5 gives lr = 1/λ_max), with λ_max from
`POWER_ITERATIONS` power iterations on exact Hessian-vector products (forward-over-reverse autodiff of
the twice-differentiable form of the objective, `featlearn.train.problem.smooth_training_loss`; a
neuron of zero norm, where the 1-homogeneous kernel has no second derivative, contributes the Clarke
element 0). The step is capped at `LR_MAX` (flat objectives, e.g. a network at the origin) and
re-estimated at the start of the stage and of every epoch; if the objective rises from one step to
the next, the step is halved (backtracking) for the rest of that epoch.

The estimate is rounded down to the grid 2^(j/8) (steps of 9%): λ_max from power iterations carries
rounding noise at the last few digits (a vmapped batch of seeds and a single seed differ there), and
a step that differs by an ulp would make a seed's trajectory depend on the company it is run in.
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
from jax.flatten_util import ravel_pytree

POWER_ITERATIONS = 12
SAFETY = 0.5
LR_MAX = 10.0
BACKTRACK = 0.5
RISE_ULPS = 1000.0
LR_GRID = 8  # the step is rounded down to a power of 2^(1/LR_GRID)


def top_curvature(f, params, iters: int = POWER_ITERATIONS) -> jax.Array:
    """|λ|_max of ∇²f at `params` for a scalar, twice-differentiable f(params) (jit-able)."""
    flat, unravel = ravel_pytree(params)
    grad = jax.grad(lambda x: f(unravel(x)))

    def hvp(v):
        return jax.jvp(grad, (flat,), (v,))[1]

    v0 = jax.random.normal(jax.random.PRNGKey(0), flat.shape, flat.dtype)
    v0 = v0 / jnp.linalg.norm(v0)

    def body(_, carry):
        v, _ = carry
        hv = hvp(v)
        n = jnp.linalg.norm(hv)
        return jnp.where(n > 0, hv / jnp.where(n > 0, n, 1.0), v), jnp.abs(jnp.vdot(v, hv))

    _, lam = jax.lax.fori_loop(0, iters, body, (v0, jnp.zeros((), flat.dtype)))
    return lam


def curvature_lr(f, params, safety: float = SAFETY, lr_max: float = LR_MAX) -> jax.Array:
    """safety · 2 / λ_max of f at `params`, at most `lr_max` (also when the curvature vanishes or is not finite)."""
    lam = top_curvature(f, params)
    dtype = lam.dtype
    ok = jnp.isfinite(lam) & (lam > 0)
    lr = jnp.where(ok, 2.0 * safety / jnp.where(ok, lam, 1.0), lr_max)
    lr = jnp.exp2(jnp.floor(LR_GRID * jnp.log2(lr) + 1e-6) / LR_GRID)  # round down to the grid (module docstring)
    return jnp.minimum(lr, jnp.asarray(lr_max, dtype)).astype(dtype)


class AutoLR(NamedTuple):
    """Loop state of an automatic step: the step size and the objective at the previous step."""

    lr: jax.Array
    prev: jax.Array


def placeholder(dtype) -> AutoLR:
    """The state before the first estimate (the driver refreshes it before the stage's first step)."""
    return AutoLR(jnp.asarray(LR_MAX, dtype), jnp.asarray(jnp.inf, dtype))


def fresh(f, params) -> AutoLR:
    """A new estimate at `params` (the previous objective is forgotten: no backtracking on the next step)."""
    lr = curvature_lr(f, params)
    return AutoLR(lr, jnp.asarray(jnp.inf, lr.dtype))


def backtrack(state: AutoLR, loss) -> AutoLR:
    """Halve the step when the objective rose since the previous step by more than its rounding noise
    (`RISE_ULPS` units of the dtype, relative and absolute: the quadratic form's terms are O(1) while the
    objective near a minimum is tiny); remember this step's objective."""
    tol = RISE_ULPS * jnp.finfo(state.lr.dtype).eps
    rose = loss > state.prev * (1.0 + tol) + tol
    return AutoLR(jnp.where(rose, state.lr * BACKTRACK, state.lr), jnp.asarray(loss, state.lr.dtype))
