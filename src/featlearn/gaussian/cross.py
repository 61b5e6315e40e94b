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
Derivatives (`relu_cross`): Price's theorem in (A, B, R), with the delta function of a relu-type σ''
integrated exactly (differentiating the rule itself would miss it at c = ±1, where the inner
expectation (2) tends to a kink). Hessians differentiate that rule once more by plain autodiff.
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
CROSS_NODES = 64  # at least this many trapezoid nodes for a smooth pair (m × m* pairs only: cheap)


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


def _split_expectation(inner, outer, A, B, R, n):
    r"""E[inner-side(g_a) · outer(g_b)] by the split rule, g_b = √B z₁ on the outer nodes and the inner
    expectation over z₂ given by `inner(μ, τ²)` (a closed form), μ = (R/√B) z₁, τ² = A − R²/B."""
    x, w = split_rule(n)
    dtype = jnp.result_type(A, B, R)
    x, w = jnp.asarray(x, dtype), jnp.asarray(w, dtype)
    A, B, R = jnp.broadcast_arrays(A, B, R)
    posB = B > 0
    safeB = jnp.where(posB, B, 1.0)
    slope = jnp.where(posB, R / jnp.sqrt(safeB), 0.0)
    T = jnp.where(posB, jnp.maximum(A - R * R / safeB, 0.0), A)
    sb = jnp.where(posB, jnp.sqrt(safeB), 0.0)

    def body(acc, node):
        xi, wi = node
        return acc + wi * outer(sb * xi) * inner(slope * xi, T), None

    out, _ = jax.lax.scan(body, jnp.zeros(R.shape, dtype), (x, w))
    return out


def _side_mean(f, relu_type, var, n_smooth):
    """E[f(√var · Z)] for one side: closed form for relu-type, else the 1-D trapezoidal rule."""
    if relu_type is not None:
        alpha, beta = relu_type
        return (beta - alpha) * jnp.sqrt(jnp.maximum(var, 0.0)) / math.sqrt(2.0 * math.pi)
    return Q._mean_sq(f, Q.Rule(n_smooth), var)


@partial(jax.custom_jvp, nondiff_argnums=(0, 1, 2, 3))
def relu_cross(relu_a: tuple, f_b, relu_b, n_smooth: int, A, B, R):
    r"""F(A, B, R) = E[σ_a(g_a) f_b(g_b)], σ_a = β relu − α relu(−·) (`relu_a` = (α, β)), f_b smooth or
    relu-type (`relu_b` = its (α, β) or None); (g_a, g_b) ~ N(0, [[A, R], [R, B]]). By the split rule
    with eq. (2) as the inner expectation. Derivatives by Price's theorem, with the delta functions of
    the relu-type second derivatives integrated exactly:

        ∂F/∂R = E[σ_a'(g_a) f_b'(g_b)],
        ∂F/∂A = ½ E[σ_a''(g_a) f_b(g_b)] = ½ (β − α) φ(0)/√A · E[f_b(g_b) | g_a = 0],
        ∂F/∂B = ½ E[σ_a(g_a) f_b''(g_b)]   (the same delta form when f_b is relu-type),

    so they are finite and right at c = ±1, where differentiating the rule itself misses the delta."""
    alpha, beta = relu_a
    return _split_expectation(lambda mu, T: relu_smoothing(alpha, beta, mu, T), f_b, A, B, R, SPLIT_NODES)


@relu_cross.defjvp
def _relu_cross_jvp(relu_a, f_b, relu_b, n_smooth, primals, tangents):
    A, B, R = primals
    dA, dB, dR = tangents
    alpha, beta = relu_a
    val = relu_cross(relu_a, f_b, relu_b, n_smooth, A, B, R)

    def step(mu, T):  # E[σ_a'(μ + τZ)] = βΦ(μ/τ) + αΦ(−μ/τ)
        tau = jnp.sqrt(jnp.maximum(T, 0.0))
        pos = tau > 0
        q = jnp.where(pos, mu / jnp.where(pos, tau, 1.0), 0.0)
        hard = jnp.where(mu > 0, beta, jnp.where(mu < 0, alpha, 0.5 * (alpha + beta)))
        return jnp.where(pos, beta * _Phi(q) + alpha * _Phi(-q), hard)

    fb1 = Q.derivative(f_b, 1)
    dF_dR = _split_expectation(step, fb1, A, B, R, SPLIT_NODES)
    A_, B_, R_ = jnp.broadcast_arrays(A, B, R)
    posA, posB = A_ > 0, B_ > 0
    # ∂F/∂A: ½(β − α) φ(0)/√A · E[f_b(√(B − R²/A) Z)]
    cond_b = jnp.where(posA, jnp.maximum(B_ - R_ * R_ / jnp.where(posA, A_, 1.0), 0.0), B_)
    dF_dA = jnp.where(posA, 0.5 * (beta - alpha) * _phi(0.0) / jnp.sqrt(jnp.where(posA, A_, 1.0))
                      * _side_mean(f_b, relu_b, cond_b, n_smooth), 0.0)
    if relu_b is None:
        fb2 = Q.derivative(f_b, 2)
        dF_dB = 0.5 * _split_expectation(lambda mu, T: relu_smoothing(alpha, beta, mu, T), fb2, A, B, R, SPLIT_NODES)
    else:
        ab, bb = relu_b
        cond_a = jnp.where(posB, jnp.maximum(A_ - R_ * R_ / jnp.where(posB, B_, 1.0), 0.0), A_)
        dF_dB = jnp.where(posB, 0.5 * (bb - ab) * _phi(0.0) / jnp.sqrt(jnp.where(posB, B_, 1.0))
                          * _side_mean(None, relu_a, cond_a, n_smooth), 0.0)
    shape = R_.shape
    dA, dB, dR = (jnp.broadcast_to(t, shape) for t in (dA, dB, dR))
    return val, dF_dA * dA + dF_dB * dB + dF_dR * dR


def base_cross(a, b, U, V):
    """E[f_a(U[p]·x) f_b(V[q]·x)] (p, q) for the base functions of activations a, b (`Activation`s)."""
    hermite = bool(a.rule and b.rule and a.rule.kind == b.rule.kind == "hermite")
    nodes = max(a.rule.nodes if a.rule else 0, b.rule.nodes if b.rule else 0, 0 if hermite else CROSS_NODES)
    if a.relu_type is None and b.relu_type is None:
        return Q.gauss_kernel(a.base_fn, b.base_fn, U, V, Q.Rule(nodes, "hermite" if hermite else "trapezoid"))
    if a.relu_type is not None:
        A = jnp.sum(U * U, axis=-1)[:, None]
        B = jnp.sum(V * V, axis=-1)[None, :]
        return relu_cross(tuple(a.relu_type), b.base_fn, None if b.relu_type is None else tuple(b.relu_type), max(nodes, CROSS_NODES),
                          A, B, U @ V.T)
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
