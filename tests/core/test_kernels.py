"""Closed-form kernels vs independent references (quadrature, Monte Carlo) and their special values."""

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import featlearn
from featlearn.gaussian import reference as ref

ACTS = ["relu", "abs", "relu_trim", "erf"]


def _pairs(seed, d=5):
    """Random (u, v) with r ≠ 1, including c near ±1 and exactly ±1."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(4):
        out.append((rng.normal(size=d) * rng.uniform(0.3, 2), rng.normal(size=d) * rng.uniform(0.3, 2)))
    u = rng.normal(size=d)
    for eps in (1e-3, 1e-6):
        out.append((1.7 * u, 0.6 * (u + eps * rng.normal(size=d))))  # c near +1
        out.append((0.8 * u, -1.3 * (u + eps * rng.normal(size=d))))  # c near −1
    out.append((u, 2.0 * u))  # c = +1
    out.append((u, -0.5 * u))  # c = −1
    return out


@pytest.mark.parametrize("act", ACTS)
def test_kernel_matches_piecewise_quadrature(act):
    for u, v in _pairs(1):
        closed = float(featlearn.kernel(act, jnp.asarray(u[None]), jnp.asarray(v[None]))[0, 0])
        quad = ref.polar_quadrature(act, u, v)
        assert abs(closed - quad) <= 1e-10 * max(1.0, abs(quad)), (act, closed, quad)


def test_erf_kernel_matches_tensor_gauss_hermite():
    # erf is smooth, so the plain tensor Gauss–Hermite rule is spectrally accurate (for moderate norms:
    # erf(r ξ/√2) approaches a step as r grows, which slows any polynomial rule).
    for u, v in _pairs(2):
        u, v = u / max(1.0, np.linalg.norm(u) / 1.5), v / max(1.0, np.linalg.norm(v) / 1.5)
        closed = float(featlearn.kernel("erf", jnp.asarray(u[None]), jnp.asarray(v[None]))[0, 0])
        assert abs(closed - ref.gauss_hermite_2d("erf", u, v)) <= 1e-8


@pytest.mark.parametrize("act", ["relu", "abs", "relu_trim"])
def test_kinked_kernels_match_tensor_gauss_hermite_loosely(act):
    # The kink of relu/abs limits tensor Gauss–Hermite to algebraic accuracy: a coarse but independent check.
    for u, v in _pairs(3)[:4]:
        closed = float(featlearn.kernel(act, jnp.asarray(u[None]), jnp.asarray(v[None]))[0, 0])
        assert abs(closed - ref.gauss_hermite_2d(act, u, v, n=200)) <= 1e-2 * max(1.0, abs(closed))


@pytest.mark.parametrize("act", ACTS)
def test_kernel_matches_monte_carlo_in_full_dimension(act):
    d, n = 4, 1_000_000
    rng = np.random.default_rng(7)
    X = rng.standard_normal((n, d))
    for i, (u, v) in enumerate(_pairs(4, d)[:3] + _pairs(4, d)[4:6]):
        vals = ref.sigma(act, X @ u, np.linalg.norm(u)) * ref.sigma(act, X @ v, np.linalg.norm(v))
        est, se = vals.mean(), vals.std(ddof=1) / math.sqrt(n)
        closed = float(featlearn.kernel(act, jnp.asarray(u[None]), jnp.asarray(v[None]))[0, 0])
        assert abs(closed - est) <= 4 * se, (act, i, closed, est, se)


def test_diagonal_values_from_the_design_table():
    r = 1.7
    U = jnp.asarray([[r, 0.0, 0.0]])
    table = {
        "relu": r**2 / 2,
        "abs": r**2,
        "relu_trim": r**2 * (0.25 - 1 / (2 * math.pi)),
        "erf": (2 / math.pi) * math.asin(r**2 / (1 + r**2)),
    }
    for act, expected in table.items():
        assert float(featlearn.kernel(act, U, U)[0, 0]) == pytest.approx(expected, rel=1e-13)


@pytest.mark.parametrize("act", ACTS)
def test_kernel_is_finite_and_zero_at_zero_norm(act):
    U = jnp.zeros((1, 3))
    V = jnp.asarray([[0.3, -1.0, 2.0]])
    K = featlearn.kernel(act, U, V)
    assert float(K[0, 0]) == 0.0
    g = jax.grad(lambda u: featlearn.kernel(act, u, V)[0, 0])(U)
    assert bool(jnp.all(jnp.isfinite(g)))


def test_unknown_activation_names_the_valid_ones():
    with pytest.raises(ValueError, match="activation.*valid: abs, erf, gelu, he2, he3, he4, relu, relu_trim, sigmoid, silu, softplus, tanh"):
        featlearn.kernel("swish", jnp.eye(2), jnp.eye(2))


def test_fast_arccos_matches_numpy_to_rounding():
    from featlearn.gaussian.kernels import arccos

    x = np.concatenate([np.linspace(-1, 1, 400_001), [-1.0, -0.5, 0.5, 1.0, np.nextafter(0.5, 1), np.nextafter(-0.5, -1)]])
    err = np.abs(np.asarray(arccos(jnp.asarray(x))) - np.arccos(x))
    assert err.max() <= 1e-15
