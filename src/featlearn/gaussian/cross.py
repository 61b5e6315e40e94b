r"""Cross-kernels E[σ_a(u·x) σ_b(v·x)] of two different activations (misspecified students, DESIGN §7.5).

Each activation is its *base* elementwise function f (relu-type β·relu(z) − α·relu(−z), or a smooth σ)
minus optionally its Hermite orders 0 and 1 (flags t₀, t₁: relu_trim is relu with t₀ = t₁ = 1). With
μ(u) = E[f(u·x)], λ(u) = E[f'(u·x)] (so E[f(u·x) x] = λ(u) u) and R = u·v, Hermite orthogonality gives

    E[σ̃_a σ̃_b] = E[f_a f_b] − [t₀ᵃ ∨ t₀ᵇ] μ_a μ_b − [t₁ᵃ ∨ t₁ᵇ] λ_a λ_b R.                      (1)

The base cross-kernel E[f_a(g₁) f_b(g₂)]:
- both smooth: the 2-D rule of `featlearn.gaussian.quadrature` (the larger of the two node counts);
- one of them relu-type (say f_a): with the *other* in the outer variable, g_b = √B z₁, and the relu-type
  one in the inner, g_a = μ + τ z₂ with μ = (R/√B) z₁, τ² = A − R²/B, the inner expectation is exact,

      E[β relu(μ + τZ) − α relu(−μ − τZ)] = β μ Φ(μ/τ) + α μ Φ(−μ/τ) + (β − α) τ φ(μ/τ),        (2)

  and the outer integrand is smooth on each side of z₁ = 0 (the only place where (2) at τ = 0, or a
  relu-type f_b, has a kink), so the outer rule is Gauss–Legendre on [−9, 0] and on [0, 9] with the
  Gaussian weight (`split_rule`): spectrally accurate on both halves, for every c including ±1.
Derivatives: (2) carries a `custom_jvp` in (μ, τ²) — ∂/∂μ = βΦ(μ/τ) − αΦ(−μ/τ), ∂/∂τ² =
(β − α) φ(μ/τ)/(2τ), which is 0 at τ = 0 away from μ = 0 (no outer node sits at z₁ = 0) — so gradients
and Hessians are finite at c = ±1.
"""

from __future__ import annotations

import math
from functools import lru_cache, partial

import jax
import jax.numpy as jnp
import numpy as np

from featlearn.gaussian import quadrature as Q

SPLIT_HALF_WIDTH = 9.0
SPLIT_NODES = 48  # Gauss–Legendre nodes on each half-line


@lru_cache(maxsize=None)
def split_rule(n: int = SPLIT_NODES) -> tuple[np.ndarray, np.ndarray]:
    """2n nodes and weights for E[f(z)], z ~ N(0, 1), f smooth on each side of 0: Gauss–Legendre on
    [−9, 0] and [0, 9] times the Gaussian density (weights normalised to sum 1)."""
    t, w = np.polynomial.legendre.leggauss(n)
    x = 0.5 * SPLIT_HALF_WIDTH * (t + 1.0)
    w = 0.5 * SPLIT_HALF_WIDTH * w * np.exp(-0.5 * x * x)
    x, w = np.concatenate([-x[::-1], x]), np.concatenate([w[::-1], w])
    return x, w / w.sum()


def _Phi(z):
    return 0.5 * jax.scipy.special.erfc(-z / math.sqrt(2.0))


def _phi(z):
    return jnp.exp(-0.5 * z * z) / math.sqrt(2.0 * math.pi)


@partial(jax.custom_jvp, nondiff_argnums=(0, 1))
def relu_smoothing(alpha: float, beta: float, mu, T):
    r"""E[β relu(μ + τZ) − α relu(−μ − τZ)], Z ~ N(0, 1), τ = √T (eq. (2)); at T = 0: β relu(μ) − α relu(−μ)."""
    tau = jnp.sqrt(jnp.maximum(T, 0.0))
    pos = tau > 0
    q = jnp.where(pos, mu / jnp.where(pos, tau, 1.0), 0.0)
    smooth = beta * mu * _Phi(q) + alpha * mu * _Phi(-q) + (beta - alpha) * tau * _phi(q)
    return jnp.where(pos, smooth, beta * jnp.maximum(mu, 0.0) - alpha * jnp.maximum(-mu, 0.0))


@relu_smoothing.defjvp
def _relu_smoothing_jvp(alpha, beta, primals, tangents):
    mu, T = primals
    dmu, dT = tangents
    tau = jnp.sqrt(jnp.maximum(T, 0.0))
    pos = tau > 0
    safe = jnp.where(pos, tau, 1.0)
    q = jnp.where(pos, mu / safe, 0.0)
    step = jnp.where(mu > 0, beta, jnp.where(mu < 0, alpha, 0.5 * (alpha + beta)))
    d_mu = jnp.where(pos, beta * _Phi(q) - alpha * _Phi(-q), step)
    d_T = jnp.where(pos, (beta - alpha) * _phi(q) / (2.0 * safe), 0.0)
    return relu_smoothing(alpha, beta, mu, T), d_mu * dmu + d_T * dT


def _base_outer(f_outer, alpha, beta, U, V, n):
    """E[f_relu(u·x) f_outer(v·x)] (U: the relu-type side (p, d), V: the other (q, d)) by the split rule."""
    x, w = split_rule(n)
    dtype = U.dtype
    x, w = jnp.asarray(x, dtype), jnp.asarray(w, dtype)
    A = jnp.sum(U * U, axis=-1)[:, None]
    B = jnp.sum(V * V, axis=-1)[None, :]
    R = U @ V.T
    posB = B > 0
    rb = jnp.sqrt(jnp.where(posB, B, 1.0))
    slope = jnp.where(posB, R / rb, 0.0)  # μ = slope · z₁
    T = jnp.maximum(A - jnp.where(posB, R * R / jnp.where(posB, B, 1.0), 0.0), 0.0)
    T = jnp.where(posB, T, A)
    sb = jnp.where(posB, rb, 0.0)

    def body(acc, node):
        xi, wi = node
        return acc + wi * f_outer(sb * xi) * relu_smoothing(alpha, beta, slope * xi, T), None

    out, _ = jax.lax.scan(body, jnp.zeros(R.shape, dtype), (x, w))
    return out


def base_cross(a, b, U, V):
    """E[f_a(U[p]·x) f_b(V[q]·x)] (p, q) for the base functions of activations a, b (`Activation`s)."""
    if a.relu_type is None and b.relu_type is None:
        nodes = max(a.rule.nodes if a.rule else 64, b.rule.nodes if b.rule else 64)
        kind = "hermite" if (a.rule and b.rule and a.rule.kind == b.rule.kind == "hermite") else "trapezoid"
        return Q.gauss_kernel(a.base_fn, b.base_fn, U, V, Q.Rule(nodes, kind))
    if a.relu_type is not None:
        alpha, beta = a.relu_type
        return _base_outer(b.base_fn, alpha, beta, U, V, SPLIT_NODES)
    return base_cross(b, a, V, U).T


def base_mean(act, W):
    """μ(w) = E[f(w·x)] of the base function, (m,)."""
    if act.relu_type is not None:
        alpha, beta = act.relu_type
        from featlearn.gaussian.kernels import safe_norm

        return (beta - alpha) * safe_norm(W) / math.sqrt(2.0 * math.pi)
    return Q.gauss_mean(act.base_fn, W, act.rule or Q.Rule(64))


def base_slope(act, W):
    """λ(w) = E[f'(w·x)] of the base function (E[f(w·x) x] = λ(w) w), (m,)."""
    if act.relu_type is not None:
        alpha, beta = act.relu_type
        return jnp.full(W.shape[:-1], 0.5 * (alpha + beta), W.dtype)
    return Q._mean_sq(Q.derivative(act.base_fn, 1), act.rule or Q.Rule(64), jnp.sum(W * W, axis=-1))


def cross_kernel(a, b, U, V, *, trim_all: bool = False):
    """E[σ_a(U[p]·x) σ_b(V[q]·x)] by eq. (1); with `trim_all`, both sides with orders 0 and 1 removed
    (the part a student's linear head cannot absorb)."""
    t0 = trim_all or a.trims[0] or b.trims[0]
    t1 = trim_all or a.trims[1] or b.trims[1]
    K = base_cross(a, b, U, V)
    if t0:
        K = K - base_mean(a, U)[:, None] * base_mean(b, V)[None, :]
    if t1:
        K = K - (base_slope(a, U)[:, None] * base_slope(b, V)[None, :]) * (U @ V.T)
    return K


__all__ = ["base_cross", "cross_kernel", "relu_smoothing", "split_rule"]
