"""Shared constructions for the diagnostics tests (independent of the code under test)."""

from __future__ import annotations

import math

import jax.numpy as jnp
import numpy as np

import featlearn

# E[relu_trim(z)^2], z ~ N(0, 1), from Hermite orthogonality: E relu² − (E relu)² − (E relu·z)²
G1_RELU_TRIM = 0.5 - 1.0 / (2.0 * math.pi) - 0.25
# d/dc of the relu_trim kernel g at c = 1: E[relu_trim'(z)²] = E[1{z>0}] − (E relu')² = 1/2 − 1/4
DG1_RELU_TRIM = 0.25


def alternating(m_star: int) -> np.ndarray:
    return np.array([(-1.0) ** i for i in range(m_star)])


def separated_teacher(d: int, m_star: int, seed: int, min_angle_deg: float = 50.0, even: bool = True,
                      a_star=None, max_tries: int = 10000) -> featlearn.Params:
    """Random unit directions, pairwise ≥ min_angle apart (also from −w when even); rejection in numpy."""
    rng = np.random.default_rng(seed)
    cos_max = math.cos(math.radians(min_angle_deg))
    for _ in range(max_tries):
        W = rng.standard_normal((m_star, d))
        W /= np.linalg.norm(W, axis=1, keepdims=True)
        C = np.abs(W @ W.T) if even else W @ W.T
        np.fill_diagonal(C, -1.0)
        if m_star == 1 or C.max() <= cos_max:
            break
    else:  # pragma: no cover
        raise RuntimeError("could not place teachers")
    a = alternating(m_star) if a_star is None else np.asarray(a_star, float)
    return featlearn.Params(jnp.asarray(a), jnp.asarray(W))


def orthonormal_teacher(d: int, a_star, seed: int = 0) -> featlearn.Params:
    rng = np.random.default_rng(seed)
    Q, _ = np.linalg.qr(rng.standard_normal((d, len(a_star))))
    return featlearn.Params(jnp.asarray(np.asarray(a_star, float)), jnp.asarray(Q.T))


def split_network(teacher, masses, fractions) -> featlearn.Params:
    """Balanced network: teacher i carried by len(fractions[i]) neurons at w*_i with masses masses[i]·f."""
    a, W = [], []
    for i, fr in enumerate(fractions):
        s = float(np.sign(teacher.a[i]))
        for f in fr:
            mu = masses[i] * f
            a.append(s * math.sqrt(mu))
            W.append(math.sqrt(mu) * np.asarray(teacher.W[i]))
    return featlearn.Params(jnp.asarray(np.array(a)), jnp.asarray(np.array(W)))


def fibonacci_sphere(n: int) -> np.ndarray:
    """n nearly uniform points on S² (spacing ≈ √(4π/n))."""
    k = np.arange(n) + 0.5
    z = 1.0 - 2.0 * k / n
    phi = math.pi * (1.0 + math.sqrt(5.0)) * k
    r = np.sqrt(1.0 - z * z)
    return np.stack([r * np.cos(phi), r * np.sin(phi), z], axis=1)


def _h(c):
    c = np.clip(c, -1.0, 1.0)
    return np.sqrt(np.maximum(1.0 - c * c, 0.0)) + (math.pi - np.arccos(c)) * c


def kernel_np(name: str, U, V) -> np.ndarray:
    """k_σ(u, v) from the table of DESIGN §1.1, in numpy (rows of U (p, d), V (q, d)) → (p, q)."""
    U, V = np.atleast_2d(U), np.atleast_2d(V)
    ru, rv = np.linalg.norm(U, axis=1), np.linalg.norm(V, axis=1)
    rr = np.outer(ru, rv)
    c = np.clip((U @ V.T) / rr, -1.0, 1.0)
    if name == "relu":
        g = _h(c) / (2 * math.pi)
    elif name == "abs":
        g = 2 * _h(c) / math.pi - c
    elif name == "relu_trim":
        g = (_h(c) - 1.0) / (2 * math.pi) - c / 4.0
    else:  # pragma: no cover
        raise ValueError(name)
    return rr * g
