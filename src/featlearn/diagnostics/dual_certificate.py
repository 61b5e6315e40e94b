r"""The constructed dual pre-certificate η of the teacher (DESIGN §1.5; the paper's Fig. 2).

For a homogeneous activation the kernel on unit vectors is k(u, v) = g(u·v), g(c) = A h(c) + B c + D
(`featlearn.gaussian.kernels`; under a linear head the Hermite-trimmed g). With the teacher's unit
directions w_i = w*_i and signs s_i = sign(a*_i), the vanishing-derivative pre-certificate is

    η(u) = Σ_i α_i k(u, w_i) + Σ_i β_iᵀ ∇_v k(u, v)|_{v=w_i}
         = Σ_i α_i g(u·w_i) + Σ_i g'(u·w_i) (β_i·u),        ‖u‖ = 1,  β_i ⊥ w_i,

(using ∇_v k(u, v) = g(c) v̂ + g'(c)(û − c v̂) at ‖u‖ = ‖v‖ = 1 and β_i ⊥ w_i), with the m*·d
conditions

    η(w_k) = s_k,        P_k ∇η(w_k) = 0     (P_k = I − w_k w_kᵀ, the Riemannian gradient).

Euclidean gradient of the extension above: ∇η(u) = Σ_i [α_i g'(c_i) + g''(c_i)(β_i·u)] w_i + g'(c_i) β_i
with c_i = u·w_i and g''(c) = A/√(1 − c²). g is C¹ but not C² at c = 1, so the self term i = k is
taken analytically: at u = w_k its g''-part is a multiple of w_k, killed by P_k (its limit along any
tangent direction t is A(β_k·t) w_k, finite), leaving g'(1) β_k. Writing β_i = B_i γ_i with B_i an
orthonormal basis (d, d−1) of w_i^⊥, the unknowns (α, γ) number m* + m*(d−1) = m*·d:

    Σ_i α_i g(c_ki) + Σ_{i≠k} g'(c_ki)(w_k·B_i γ_i) = s_k
    g'(1) γ_k + B_kᵀ Σ_{i≠k} { [α_i g'(c_ki) + g''(c_ki)(w_k·B_i γ_i)] w_i + g'(c_ki) B_i γ_i } = 0,

c_ki = w_k·w_i (needs |c_ki| < 1: distinct, non-antipodal teachers). Along u = cos θ w_k + sin θ t
(t ⊥ w_k unit), the self term is g'(cos θ) sin θ (β_k·t) = [A(π − |θ|) + B] sin θ (β_k·t), whose
part −A (β_k·t) θ|θ| is odd and quadratic: η is C¹, not C², at the teachers, and
1 − s_k η ≈ ρ(t, sign θ) θ² with a different ρ on each side. `DualCertificate.decay` fits ρ on both
sides of many tangent directions and reports the worst one per teacher.

Numerics: angles are computed as θ = 2 atan2(‖u − w‖, ‖u + w‖), not arccos(u·w), since g'(c) =
A(π − arccos c) + B would turn a one-ulp error in c ≈ 1 into an error ~1e-8 in η's gradient.

Scope (DESIGN §1.5): the claims (|η| < 1 away from the teachers, ρ_i > 0) are made for relu_trim, abs
and relu with a linear head; for plain relu the result is reported (`claimed` = False), not claimed.
Measured (tests/diagnostics): valid on every random teacher tried whose ±directions are pairwise
≥ 70° apart (d = 3..10, m* = 2..5, random mixed signs; for abs m* < d), and for relu_trim with
m* ≤ d − 2 already at 45°. The vanishing-derivative pre-certificate is *not* always a certificate:
for crowded teachers (m* ≥ d − 1 and separation below ~70°; e.g. 5 teachers in d = 4 at 60°, or 4 in
d = 3 at 50° with same-sign neighbours) |η| exceeds 1 next to a teacher (ρ < 0), by up to ~3%.

References: Zhou & Ge (NeurIPS 2024), Fig. 2 and the certificate construction of their App.;
Duval & Peyré (2015), "Exact support recovery for sparse spikes deconvolution" (vanishing-derivative
pre-certificate).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import jax
import numpy as np

from featlearn.diagnostics.features import FeatureKernel, feature_kernel
from featlearn.diagnostics.sphere import numpy_rng, ring, sample_away, tangent_basis
from featlearn.gaussian.activations import homogeneous_names
from featlearn.gaussian.kernels import ArcCosCoefficients, unit_rows_np
from featlearn.model import Params


def _angles(U: np.ndarray, W: np.ndarray) -> np.ndarray:
    r"""θ_ui = ∠(u, w_i) = 2 atan2(‖u − w_i‖, ‖u + w_i‖) for unit rows (n, m*): accurate also near 0 and π,
    where arccos(u·w) loses half the digits (its slope is infinite at ±1)."""
    diff = np.linalg.norm(U[:, None, :] - W[None, :, :], axis=-1)
    summ = np.linalg.norm(U[:, None, :] + W[None, :, :], axis=-1)
    return 2.0 * np.arctan2(diff, summ)


def _g(coef: ArcCosCoefficients, theta):
    """g(cos θ) = A[sin θ + (π − θ) cos θ] + B cos θ + D."""
    return coef.A * (np.sin(theta) + (np.pi - theta) * np.cos(theta)) + coef.B * np.cos(theta) + coef.D


def _dg(coef: ArcCosCoefficients, theta):
    """g'(cos θ) = A(π − θ) + B."""
    return coef.A * (np.pi - theta) + coef.B


def _ddg(coef: ArcCosCoefficients, theta):
    """g''(cos θ) = A / sin θ for 0 < θ < π; 0 at θ ∈ {0, π} (where it only multiplies vanishing factors)."""
    s = np.sin(theta)
    return np.where(s > 0, coef.A / np.where(s > 0, s, 1.0), 0.0)


def _unit(U) -> np.ndarray:
    return unit_rows_np(np.atleast_2d(U))


class Decay(NamedTuple):
    """Quadratic decay 1 − s_i η(u) ≈ ρ θ², θ = ∠(u, w*_i), fitted near each teacher.

    Attributes:
      rho: (m*,) worst (smallest) fitted ρ over the sampled tangent directions and both sides.
      rho_mean: (m*,) mean fitted ρ over directions and sides.
      max_angle_deg: the fit used θ ∈ (0, max_angle_deg].
    """

    rho: np.ndarray
    rho_mean: np.ndarray
    max_angle_deg: float


class AwayMax(NamedTuple):
    """max |η| over points more than `exclude_deg` from every teacher (±w* when even).

    Attributes:
      max_abs: the maximum of |η| over the random points and the rings.
      argmax: (d,) the maximising point.
      max_abs_random: max over the `n_random` uniform points outside the caps.
      max_abs_ring: max over the points exactly `exclude_deg` from a teacher.
      exclude_deg: the cap radius.
    """

    max_abs: float
    argmax: np.ndarray
    max_abs_random: float
    max_abs_ring: float
    exclude_deg: float


@dataclass(frozen=True)
class DualCertificate:
    """The constructed pre-certificate η (module docstring); call it on unit rows U (n, d) → (n,).

    Attributes:
      teacher_W: (m*, d) unit teacher directions w_i.
      signs: (m*,) s_i = sign(a*_i).
      alpha: (m*,) coefficients α_i of k(u, w_i).
      beta: (m*, d) tangential coefficients β_i ⊥ w_i.
      features: the kernel used (`FeatureKernel`: coefficients, evenness, claim scope).
      residual: max |η(w_k) − s_k| and ‖P_k ∇η(w_k)‖ of the solved system (should be ~1e-15).
    """

    teacher_W: np.ndarray
    signs: np.ndarray
    alpha: np.ndarray
    beta: np.ndarray
    features: FeatureKernel
    residual: float

    @property
    def claimed(self) -> bool:
        return self.features.claimed

    def __call__(self, U) -> np.ndarray:
        """η(u) (n,) for each row u of U (n, d) (or a scalar for one (d,) vector); rows are normalised."""
        single = np.ndim(U) == 1
        U = _unit(U)
        T = _angles(U, self.teacher_W)
        coef = self.features.coef
        out = _g(coef, T) @ self.alpha + np.sum(_dg(coef, T) * (U @ self.beta.T), axis=1)
        return out[0] if single else out

    def riemannian_grad(self, U) -> np.ndarray:
        """P_u ∇η(u) (n, d) at the normalised rows of U (n, d) (g''-term: one-sided limit at θ = 0, π)."""
        U = _unit(U)
        T = _angles(U, self.teacher_W)
        coef = self.features.coef
        coeff_w = self.alpha * _dg(coef, T) + _ddg(coef, T) * (U @ self.beta.T)
        G = coeff_w @ self.teacher_W + _dg(coef, T) @ self.beta
        return G - np.sum(G * U, axis=1, keepdims=True) * U

    def decay(self, key, n_directions: int = 64, max_angle_deg: float = 2.0, n_angles: int = 12) -> Decay:
        """Fit 1 − s_i η(cos θ w_i + sin θ t) = ρ θ² + ρ₃ θ³ on θ ∈ (0, max_angle_deg] (radians in the fit).

        Directions t: ±(random unit tangent vectors), so both sides of every great circle are fitted.
        """
        W = np.asarray(self.teacher_W)
        s = np.asarray(self.signs)
        theta = np.radians(np.linspace(max_angle_deg / n_angles, max_angle_deg, n_angles))
        X = np.stack([theta**2, theta**3], axis=1)
        rho_min, rho_mean = [], []
        rng = numpy_rng(key)
        for i in range(W.shape[0]):
            B = tangent_basis(W[i])
            g = rng.standard_normal((n_directions, B.shape[1]))
            T = unit_rows_np(g) @ B.T
            T = np.concatenate([T, -T])
            P = np.cos(theta)[None, :, None] * W[i] + np.sin(theta)[None, :, None] * T[:, None, :]
            Y = 1.0 - s[i] * np.asarray(self(P.reshape(-1, W.shape[1]))).reshape(T.shape[0], -1)
            coefs, *_ = np.linalg.lstsq(X, Y.T, rcond=None)
            rho_min.append(coefs[0].min())
            rho_mean.append(coefs[0].mean())
        return Decay(np.array(rho_min), np.array(rho_mean), float(max_angle_deg))

    def max_abs_away(self, key, n_random: int = 1000, exclude_deg: float = 5.0, n_ring: int = 200) -> AwayMax:
        """max |η| at `n_random` uniform points outside the caps and `n_ring` points per teacher on the
        cap boundary (exactly `exclude_deg` from w_i, and from −w_i when even)."""
        k1, k2, k3 = jax.random.split(key, 3)
        W = np.asarray(self.teacher_W)
        even = self.features.even
        U = sample_away(k1, n_random, W, exclude_deg, even)
        R = ring(W, exclude_deg, n_ring, k2)
        if even:
            R = np.concatenate([R, ring(-W, exclude_deg, n_ring, k3)])
        vu = np.abs(np.asarray(self(U)))
        vr = np.abs(np.asarray(self(R)))
        allp = np.concatenate([U, R])
        allv = np.concatenate([vu, vr])
        j = int(np.argmax(allv))
        return AwayMax(float(allv[j]), allp[j], float(vu.max()), float(vr.max()), float(exclude_deg))


def _system(W: np.ndarray, s: np.ndarray, coef: ArcCosCoefficients):
    """Assemble the square system (m*·d) of the module docstring; returns (M, rhs, bases)."""
    m_star, d = W.shape
    T = _angles(W, W)
    g = np.asarray(_g(coef, T))
    dg = np.asarray(_dg(coef, T))
    ddg = np.asarray(_ddg(coef, T))
    dg1 = coef.A * np.pi + coef.B
    Bs = [tangent_basis(w) for w in W]
    n = m_star * d
    M = np.zeros((n, n))
    rhs = np.zeros(n)
    gam = lambda i: slice(m_star + i * (d - 1), m_star + (i + 1) * (d - 1))  # noqa: E731
    for k in range(m_star):
        row = k  # value condition
        rhs[row] = s[k]
        for i in range(m_star):
            M[row, i] += g[k, i]
            if i != k:
                M[row, gam(i)] += dg[k, i] * (W[k] @ Bs[i])
        rows = gam(k)  # tangential conditions (d − 1 rows)
        M[rows, gam(k)] += dg1 * np.eye(d - 1)
        for i in range(m_star):
            if i == k:
                continue
            bw = Bs[k].T @ W[i]  # (d−1,)
            M[rows, i] += dg[k, i] * bw
            M[rows, gam(i)] += ddg[k, i] * np.outer(bw, W[k] @ Bs[i]) + dg[k, i] * (Bs[k].T @ Bs[i])
    return M, rhs, Bs


def dual_certificate(teacher: Params, activation, *, head: bool = False) -> DualCertificate:
    r"""Construct the vanishing-derivative pre-certificate η of the teacher (module docstring).

    Args:
      teacher: `Params(a*, W*)`, m* ≥ 1 directions (normalised here), pairwise distinct and not
        antipodal (|w_i·w_j| < 1).
      activation: a positively homogeneous activation (others are refused).
      head: the student carries a linear head (use the Hermite-trimmed kernel; for relu: relu_trim).

    Returns:
      a `DualCertificate`: callable on unit rows U (n, d) → η (n,), with `alpha`, `beta`, `decay(key)`,
      `max_abs_away(key)`, `riemannian_grad(U)`.

    Example:
      >>> import jax, featlearn
      >>> from featlearn.diagnostics import dual_certificate
      >>> t = featlearn.make_teacher(5, 3, jax.random.PRNGKey(0), a_star=[1., -1., 1.])
      >>> eta = dual_certificate(t, "relu_trim")
      >>> [round(float(x), 9) for x in eta(t.W)]
      [1.0, -1.0, 1.0]
    """
    fk = feature_kernel(activation, head)
    if fk.coef is None:
        raise ValueError(
            f"dual_certificate: activation {fk.activation.name!r} is not positively homogeneous; "
            f"use one of {', '.join(homogeneous_names())}"
        )
    W = _unit(teacher.W)
    s = np.sign(np.asarray(teacher.a, float))
    m_star, d = W.shape
    if m_star > 1:
        C = np.abs(W @ W.T) - np.eye(m_star)
        if C.max() >= 1.0 - 1e-12:
            raise ValueError("dual_certificate: teacher directions must be distinct and not antipodal")
    M, rhs, Bs = _system(W, s, fk.coef)
    x = np.linalg.solve(M, rhs)
    alpha = x[:m_star]
    beta = np.stack([Bs[i] @ x[m_star + i * (d - 1) : m_star + (i + 1) * (d - 1)] for i in range(m_star)])
    cert = DualCertificate(W, s, alpha, beta, fk, 0.0)
    val_res = float(np.max(np.abs(np.asarray(cert(W)) - s)))
    grad_res = float(np.max(np.linalg.norm(np.asarray(cert.riemannian_grad(W)), axis=1)))
    return DualCertificate(cert.teacher_W, cert.signs, cert.alpha, cert.beta, fk, max(val_res, grad_res))
