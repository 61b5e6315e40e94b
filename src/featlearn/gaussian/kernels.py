r"""Closed-form Gaussian kernels k_σ(u, v) = E_x[σ(u·x) σ(v·x)], x ~ N(0, I_d).

Notation (DESIGN §1.1): r_u = ‖u‖, r_v = ‖v‖, c = u·v / (r_u r_v) and

    h(c) = √(1 − c²) + (π − arccos c)·c,      h'(c) = π − arccos c.

Every positively 1-homogeneous activation of the form σ(z) = β·relu(z) − α·relu(−z), minus
optionally its Hermite orders 0 and 1, has a kernel of the single general form

    k(u, v) = r_u r_v · g(c),      g(c) = A·h(c) + B·c + D,                      (1)

with
    A = (α − β)² / (2π),   B = αβ − t₁ (α + β)² / 4,   D = −t₀ (β − α)² / (2π),

where t₀, t₁ ∈ {0, 1} say whether the constant / linear Hermite orders are removed. This uses
E[relu(u·x) relu(v·x)] = r_u r_v h(c)/(2π) and h(−c) = h(c) − πc. The named activations are thin
wrappers with their (A, B, D):

    relu       (α, β) = (0, 1)              A = 1/(2π), B = 0,    D = 0
    abs        (α, β) = (−1, 1)             A = 2/π,    B = −1,   D = 0
    relu_trim  (α, β) = (0, 1), t₀ = t₁ = 1 A = 1/(2π), B = −1/4, D = −1/(2π)

`erf` (σ(z) = erf(z/√2)) is not homogeneous: k(u, v) = (2/π) arcsin(u·v / √((1 + r_u²)(1 + r_v²))).

Numerics. `h` carries a `custom_jvp` with the finite derivative π − arccos c (autodiff of the naive
formula gives NaN at c = ±1), c is clipped to [−1, 1], and norms are "safe": their derivative at 0 is 0
and c is set to 0 where r_u r_v = 0, so values and gradients stay finite when neurons coincide, are
antipodal, equal a teacher, or have zero norm. At w = 0 the gradient of k with respect to w is 0
(the 1-homogeneous kernel has no gradient there; 0 lies in its Clarke subdifferential).

References: Cho & Saul (2009), arc-cosine kernels; Zhou & Ge (NeurIPS 2024), §2 and App. B.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import numpy as np

TWO_PI = 2.0 * math.pi


# Rational minimax approximation of asin on [−1/2, 1/2] (Cephes `asin`, S. L. Moshier):
# asin(t) = t + t·z·P(z)/Q(z), z = t², with Q monic; accurate to a few ulp in float64.
_ASIN_P = (4.253011369004428248960e-3, -6.019598008014123785661e-1, 5.444622390564711410273e0,
           -1.626247967210700244449e1, 1.956261983317594739197e1, -8.198089802484824371615e0)
_ASIN_Q = (-1.474091372988853791896e1, 7.049610280856842141659e1, -1.471791292232726029859e2,
           1.395105614657485689735e2, -4.918853881490881290097e1)


def _asin_small(t):
    z = t * t
    num = _ASIN_P[0]
    for coef in _ASIN_P[1:]:
        num = num * z + coef
    den = z + _ASIN_Q[0]
    for coef in _ASIN_Q[1:]:
        den = den * z + coef
    return t + t * (z * num / den)


def arccos(x):
    r"""arccos on [−1, 1] from vectorisable arithmetic (XLA's CPU arccos is ~5× slower than this).

    arccos x = π/2 − asin x for |x| ≤ ½,  2 asin √((1−x)/2) for x > ½,  π − 2 asin √((1+x)/2) for x < −½,
    with `_asin_small` on [−½, ½]. Max error against numpy's arccos: 4.4e-16 (tested).
    """
    big = jnp.abs(x) > 0.5
    t = jnp.where(big, jnp.sqrt(jnp.maximum(0.5 * (1.0 - jnp.abs(x)), 0.0)), x)
    s = _asin_small(t)
    return jnp.where(big, jnp.where(x > 0, 2.0 * s, jnp.pi - 2.0 * s), 0.5 * jnp.pi - s)


@jax.custom_jvp
def dh(c):
    r"""h'(c) = π − arccos c on [−1, 1]; its own derivative is h''(c) = 1/√(1 − c²) for |c| < 1 and 0 at
    |c| = 1 (the limit of its contribution at aligned pairs, see `featlearn.diagnostics.hessian`), so
    kernels built from h are twice differentiable wherever the kernel is."""
    return jnp.pi - arccos(jnp.clip(c, -1.0, 1.0))


@dh.defjvp
def _dh_jvp(primals, tangents):
    (c,), (dc,) = primals, tangents
    s = 1.0 - c * c
    return dh(c), jnp.where(s > 0, 1.0 / jnp.sqrt(jnp.where(s > 0, s, 1.0)), 0.0) * dc


@jax.custom_jvp
def h(c):
    r"""h(c) = √(1 − c²) + (π − arccos c)·c for c ∈ [−1, 1], with h'(c) = π − arccos c."""
    c = jnp.clip(c, -1.0, 1.0)
    return jnp.sqrt(jnp.maximum(1.0 - c * c, 0.0)) + dh(c) * c


@h.defjvp
def _h_jvp(primals, tangents):
    (c,), (dc,) = primals, tangents
    return h(c), dh(c) * dc


@jax.custom_jvp
def safe_norm(x):
    """‖x‖ over the last axis, whose derivative at x = 0 is 0 (not NaN)."""
    return jnp.sqrt(jnp.sum(x * x, axis=-1))


@safe_norm.defjvp
def _safe_norm_jvp(primals, tangents):
    (x,), (dx,) = primals, tangents
    r = safe_norm(x)
    pos = r > 0
    safe_r = jnp.where(pos, r, 1.0)
    return r, jnp.where(pos, jnp.sum(x * dx, axis=-1) / safe_r, 0.0)


@jax.custom_jvp
def unit_rows(W):
    """Each row of W divided by its norm; zero rows stay zero (no NaN: the derivative there is 0)."""
    r = jnp.linalg.norm(W, axis=-1, keepdims=True)
    return jnp.where(r > 0, W / jnp.where(r > 0, r, 1.0), 0.0)


@unit_rows.defjvp
def _unit_rows_jvp(primals, tangents):
    (W,), (dW,) = primals, tangents
    r = jnp.linalg.norm(W, axis=-1, keepdims=True)
    pos = r > 0
    U = unit_rows(W)
    inv = jnp.where(pos, 1.0 / jnp.where(pos, r, 1.0), 0.0)
    return U, inv * (dW - U * jnp.sum(U * dW, axis=-1, keepdims=True))


def unit_rows_np(U) -> np.ndarray:
    """NumPy twin of `featlearn.gaussian.kernels.unit_rows` (float64, zero rows stay zero)."""
    U = np.asarray(U, float)
    r = np.linalg.norm(U, axis=-1, keepdims=True)
    return np.divide(U, r, out=np.zeros_like(U), where=r > 0)


def tilt(base, noise, phi):
    r"""Unit vectors at angle φ from the unit rows of `base`: cos φ·w + sin φ·t, t = the unit part of
    `noise` orthogonal to w (a uniform tangent direction when `noise` is Gaussian). Shapes broadcast
    over leading axes: base, noise (..., d), phi (...)."""
    t = unit_rows(noise - jnp.sum(noise * base, axis=-1, keepdims=True) * base)
    return jnp.cos(phi)[..., None] * base + jnp.sin(phi)[..., None] * t


class ArcCosCoefficients(NamedTuple):
    """(A, B, D) of g(c) = A·h(c) + B·c + D in eq. (1) of this module."""

    A: float
    B: float
    D: float

    @classmethod
    def from_abrelu(cls, alpha: float, beta: float, trim0: bool = False, trim1: bool = False):
        """Coefficients for σ(z) = β·relu(z) − α·relu(−z), optionally minus Hermite orders 0 / 1."""
        A = (alpha - beta) ** 2 / TWO_PI
        B = alpha * beta - (trim1 * (alpha + beta) ** 2) / 4.0
        D = -(trim0 * (beta - alpha) ** 2) / TWO_PI
        return cls(float(A), float(B), float(D))

    def g(self, c):
        """g(c) = A·h(c) + B·c + D."""
        return self.A * h(c) + self.B * c + self.D

    def dg(self, c):
        """g'(c) = A·(π − arccos c) + B (finite on [−1, 1])."""
        return self.A * dh(c) + self.B


def cosine_and_norms(U, V, clip_gradient: bool = True):
    """Norms r_u (p,), r_v (q,), the Gram matrix U Vᵀ (p, q) and c (p, q), safe at zero norm.

    c is clipped to [−1, 1]; with `clip_gradient=False` in value only (its derivative is kept, which the
    Hessian needs when c rounds to 1 + ulp at an aligned pair)."""
    ru = safe_norm(U)
    rv = safe_norm(V)
    G = U @ V.T
    rr = ru[:, None] * rv[None, :]
    pos = rr > 0
    c = jnp.where(pos, G / jnp.where(pos, rr, 1.0), 0.0)
    if not clip_gradient:
        return ru, rv, G, c + jax.lax.stop_gradient(jnp.clip(c, -1.0, 1.0) - c)
    return ru, rv, G, jnp.clip(c, -1.0, 1.0)


def arccos_kernel(U, V, coef: ArcCosCoefficients, clip_gradient: bool = True):
    r"""General homogeneous kernel k(u, v) = r_u r_v [A h(c) + B c + D] (eq. (1)).

    Args:
      U: (p, d) array of first arguments (rows).
      V: (q, d) array of second arguments (rows).
      coef: the activation's (A, B, D).
      clip_gradient: see `cosine_and_norms` (False: twice differentiable at aligned pairs).

    Returns:
      (p, q) array K with K[i, j] = k(U[i], V[j]).
    """
    ru, rv, _, c = cosine_and_norms(U, V, clip_gradient)
    return ru[:, None] * rv[None, :] * coef.g(c)


RELU = ArcCosCoefficients.from_abrelu(0.0, 1.0)
ABS = ArcCosCoefficients.from_abrelu(-1.0, 1.0)
RELU_TRIM = ArcCosCoefficients.from_abrelu(0.0, 1.0, trim0=True, trim1=True)


def relu_kernel(U, V):
    """E[relu(u·x) relu(v·x)] = r_u r_v h(c) / (2π)."""
    return arccos_kernel(U, V, RELU)


def abs_kernel(U, V):
    """E[|u·x| |v·x|] = r_u r_v (2h(c)/π − c)."""
    return arccos_kernel(U, V, ABS)


def relu_trim_kernel(U, V):
    """Kernel of relu minus its Hermite orders 0, 1: r_u r_v [(h(c) − 1)/(2π) − c/4]."""
    return arccos_kernel(U, V, RELU_TRIM)


def erf_kernel(U, V):
    r"""E[erf(u·x/√2) erf(v·x/√2)] = (2/π) arcsin(u·v / √((1 + r_u²)(1 + r_v²)))."""
    su = 1.0 + jnp.sum(U * U, axis=-1)
    sv = 1.0 + jnp.sum(V * V, axis=-1)
    s = (U @ V.T) / jnp.sqrt(su[:, None] * sv[None, :])
    return (2.0 / jnp.pi) * jnp.arcsin(s)
