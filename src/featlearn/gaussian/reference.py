r"""Independent numerical references for the closed-form kernels (used by the tests).

Nothing here calls the closed forms. For u, v ∈ R^d the pair (u·x, v·x), x ~ N(0, I_d), has the law of
(r_u ξ₁, r_v (c ξ₁ + √(1−c²) ξ₂)) with ξ ~ N(0, I_2), so every expectation is a 2-D Gaussian integral:

* `gauss_hermite_2d`: tensor Gauss–Hermite rule in (ξ₁, ξ₂) (spectrally accurate for smooth σ);
* `polar_quadrature`: ξ = ρ(cos φ, sin φ); Gauss–Legendre in φ on each arc between the kink lines
  u·x = 0, v·x = 0 and Gauss–Legendre in ρ on [0, 12] (the integrand is smooth on each piece, so this is
  accurate to ~1e-13 also for relu-type σ);
* `monte_carlo`: plain sampling, returning the estimate and its standard error.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.special import erf

SQRT_2PI = math.sqrt(2.0 * math.pi)


def sigma(name: str, z: np.ndarray, r: float) -> np.ndarray:
    """The activations written directly from their definitions (DESIGN §1.1), in numpy."""
    if name == "relu":
        return np.maximum(z, 0.0)
    if name == "abs":
        return np.abs(z)
    if name == "relu_trim":
        return np.maximum(z, 0.0) - r / SQRT_2PI - z / 2.0
    if name == "erf":
        return erf(z / math.sqrt(2.0))
    raise ValueError(name)


def _frame(u, v):
    u, v = np.asarray(u, float), np.asarray(v, float)
    ru, rv = np.linalg.norm(u), np.linalg.norm(v)
    c = float(np.clip(u @ v / (ru * rv), -1.0, 1.0)) if ru * rv > 0 else 0.0
    return ru, rv, c, math.sqrt(max(1.0 - c * c, 0.0))


def _integrand(name, u, v, xi1, xi2):
    ru, rv, c, s = _frame(u, v)
    return sigma(name, ru * xi1, ru) * sigma(name, rv * (c * xi1 + s * xi2), rv)


def gauss_hermite_2d(name: str, u, v, n: int = 120) -> float:
    """E[σ(u·x)σ(v·x)] by an n×n tensor Gauss–Hermite rule (probabilists' weight)."""
    t, w = np.polynomial.hermite_e.hermegauss(n)
    w = w / math.sqrt(2.0 * math.pi)
    X1, X2 = np.meshgrid(t, t, indexing="ij")
    W2 = np.outer(w, w)
    return float(np.sum(W2 * _integrand(name, u, v, X1, X2)))


def polar_quadrature(name: str, u, v, n_angle: int = 64, n_radial: int = 96, rho_max: float = 12.0) -> float:
    """E[σ(u·x)σ(v·x)] in polar coordinates, split at the kinks (see the module docstring)."""
    _, _, c, s = _frame(u, v)
    phi_v = math.atan2(s, c)
    kinks = np.mod([math.pi / 2, 3 * math.pi / 2, phi_v + math.pi / 2, phi_v - math.pi / 2], 2 * math.pi)
    edges = np.unique(np.concatenate([[0.0], kinks, [2 * math.pi]]))
    ta, wa = np.polynomial.legendre.leggauss(n_angle)
    tr, wr = np.polynomial.legendre.leggauss(n_radial)
    rho = 0.5 * rho_max * (tr + 1.0)
    w_rho = 0.5 * rho_max * wr * rho * np.exp(-0.5 * rho**2)
    total = 0.0
    for lo, hi in zip(edges[:-1], edges[1:]):
        if hi - lo < 1e-15:
            continue
        phi = 0.5 * (hi - lo) * ta + 0.5 * (hi + lo)
        w_phi = 0.5 * (hi - lo) * wa
        P, R = np.meshgrid(phi, rho, indexing="ij")
        vals = _integrand(name, u, v, R * np.cos(P), R * np.sin(P))
        total += float(np.sum(np.outer(w_phi, w_rho) * vals))
    return total / (2.0 * math.pi)


def monte_carlo(name: str, u, v, n: int, seed: int) -> tuple[float, float]:
    """(estimate, standard error) of E[σ(u·x)σ(v·x)] from n Gaussian samples."""
    rng = np.random.default_rng(seed)
    xi = rng.standard_normal((n, 2))
    vals = _integrand(name, u, v, xi[:, 0], xi[:, 1])
    return float(vals.mean()), float(vals.std(ddof=1) / math.sqrt(n))
