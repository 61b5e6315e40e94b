r"""Polish: Newton's method on L_λ (population loss) from the current point to a critical point (DESIGN §7.6).

Each iteration takes the exact gradient g and Hessian H of L_λ in θ = (a, W) (a linear head stays at
its optimum, as in training), the eigendecomposition H = V diag(μ) Vᵀ, and the saddle-free Newton step

    s = −Σ_{|μ_i| > τ} v_i (v_iᵀ g) / |μ_i|,   τ = 1e-10 · max|μ|,

a Newton step where H is positive definite, and a descent step (the damped fall-back) along directions
of negative curvature; directions with |μ| ≤ τ (the flat directions of the symmetries) are left alone.
The step is halved until L_λ does not rise (beyond its rounding) or ‖g‖ falls, at most 30 times. The
iteration stops once ‖g‖ ≤ `tol` or after `max_iter` iterations. The iterations run in float64 when x64 is
on (a float32 network is polished in float64 and stored back in float32). Started exactly on a symmetric
subspace (g orthogonal to the negative directions), the iteration stays on it and converges to the
saddle there: `polish` finds the nearby critical point, and the summary's `critical_point` record says
which kind it is.

Cost per iteration: n = m(d + 1) Hessian-vector products and an O(n³) eigendecomposition (n = 1344 for
the default problem: about a second).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from featlearn.config.stages import Polish
from featlearn.model import Params, widest_float
from featlearn.objective import optimal_head
from featlearn.train.iterative import OneShot
from featlearn.train.problem import Problem, Static, smooth_training_loss

MAX_HALVINGS = 30


def _flatten(params: Params):
    m, d = params.W.shape
    x = jnp.concatenate([params.a, params.W.reshape(-1)])

    def unflatten(x):
        return params._replace(a=x[:m], W=x[m:].reshape(m, d))

    return x, unflatten


def polish(params: Params, problem: Problem, static: Static, cfg: Polish):
    """Returns (params, info) with the final ‖∇L_λ‖ (`grad_norm`) and the number of `iterations`."""
    dtype = params.a.dtype
    wide = widest_float()
    teacher = problem.teacher.astype(wide)
    prob = problem._replace(teacher=teacher)
    x0, unflatten = _flatten(params.astype(wide))
    lam = jnp.asarray(cfg.lam, wide)

    def f(x):
        return smooth_training_loss(unflatten(x), prob, static, lam)

    grad = jax.grad(f)

    def hessian(x):
        return jax.lax.map(lambda e: jax.jvp(grad, (x,), (e,))[1], jnp.eye(x.size, dtype=x.dtype), batch_size=256)

    rounding = 64 * jnp.finfo(wide).eps

    def cond(c):
        x, fx, g, it = c
        return (jnp.linalg.norm(g) > cfg.tol) & (it < cfg.max_iter)

    def body(c):
        x, fx, g, it = c
        H = hessian(x)
        mu, V = jnp.linalg.eigh(0.5 * (H + H.T))
        keep = jnp.abs(mu) > 1e-10 * jnp.max(jnp.abs(mu))
        coef = jnp.where(keep, (V.T @ g) / jnp.where(keep, jnp.abs(mu), 1.0), 0.0)
        s = -(V @ coef)
        gn = jnp.linalg.norm(g)

        def try_cond(t):
            alpha, k, x1, f1, g1 = t
            ok = (f1 <= fx + rounding * jnp.abs(fx)) | (jnp.linalg.norm(g1) < gn)
            return ~(ok & jnp.isfinite(f1)) & (k < MAX_HALVINGS)

        def try_body(t):
            alpha, k, *_ = t
            alpha = 0.5 * alpha
            x1 = x + alpha * s
            return alpha, k + 1, x1, f(x1), grad(x1)

        x1 = x + s
        alpha, k, x1, f1, g1 = jax.lax.while_loop(try_cond, try_body, (jnp.asarray(1.0, wide), 0, x1, f(x1), grad(x1)))
        accepted = (k < MAX_HALVINGS) & jnp.isfinite(f1)
        x, fx, g = (jnp.where(accepted, x1, x), jnp.where(accepted, f1, fx), jnp.where(accepted, g1, g))
        # no acceptable step: stop (the iteration count jumps to the limit)
        return x, fx, g, jnp.where(accepted, it + 1, cfg.max_iter + 0 * it)

    x, fx, g, it = jax.lax.while_loop(cond, body, (x0, f(x0), grad(x0), jnp.asarray(0)))
    out = unflatten(x)
    if static.head:
        out = optimal_head(out, teacher, static.activation)
    out = out.astype(dtype)
    return out, {"grad_norm": jnp.linalg.norm(g).astype(dtype), "iterations": it}


def build(static: Static, cfg: Polish, index: int) -> OneShot:
    return OneShot(lambda params, key, problem: polish(params, problem, static, cfg))
