"""Cross-kernels E[σ_a(u·x) σ_b(v·x)] of different activations (misspecified students): Monte Carlo in full
dimension (2e6 samples, 4σ), the closed forms when both sides are the same relu-type activation (1e-12,
including c = ±1), the transpose symmetry, and finite-difference gradients (1e-6) at c = ±1."""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from featlearn.gaussian.activations import get_activation
from featlearn.gaussian.cross import cross_kernel

RNG = np.random.default_rng(21)
U = RNG.normal(size=(5, 4)) * 0.55  # norms ≈ 0.4 … 1.6: the range where the smooth rules are accurate to 1e-9
V = RNG.normal(size=(4, 4)) * 0.55
V[0], V[1] = 1.3 * U[0], -0.7 * U[1]  # c = +1 and c = −1


def _np_sigma(name, Z, W):
    r = np.linalg.norm(W, axis=1)
    if name == "relu_trim":
        return np.maximum(Z, 0) - r / math.sqrt(2 * math.pi) - Z / 2
    return {"relu": lambda z: np.maximum(z, 0), "abs": np.abs, "tanh": np.tanh, "softplus": lambda z: np.logaddexp(0, z),
            "gelu": lambda z: z * 0.5 * (1 + _erf(z / math.sqrt(2))), "he3": lambda z: z**3 - 3 * z}[name](Z)


def _erf(z):
    from scipy.special import erf

    return erf(z)


@pytest.mark.parametrize("a, b", [("relu_trim", "tanh"), ("relu", "softplus"), ("abs", "gelu"), ("tanh", "gelu"), ("he3", "tanh"), ("relu", "abs")])
def test_cross_kernel_matches_monte_carlo(a, b):
    n = 2_000_000
    X = np.random.default_rng(3).standard_normal((n, 4))
    K = np.asarray(cross_kernel(get_activation(a), get_activation(b), jnp.asarray(U), jnp.asarray(V)))
    Fa, Fb = _np_sigma(a, X @ U.T, U), _np_sigma(b, X @ V.T, V)
    for q in range(V.shape[0]):
        prod = Fa * Fb[:, q : q + 1]
        mean, se = prod.mean(0), prod.std(0) / math.sqrt(n)
        assert np.all(np.abs(K[:, q] - mean) <= 4 * se + 1e-12), (a, b, q, K[:, q], mean, se)


@pytest.mark.parametrize("name", ["relu", "abs", "relu_trim"])
def test_same_relu_type_activation_matches_the_closed_form(name):
    act = get_activation(name)
    got = np.asarray(cross_kernel(act, act, jnp.asarray(U), jnp.asarray(V)))
    np.testing.assert_allclose(got, np.asarray(act.kernel(jnp.asarray(U), jnp.asarray(V))), rtol=0, atol=1e-12)


def test_cross_kernel_is_symmetric_under_swapping_the_sides():
    s, t = get_activation("relu_trim"), get_activation("tanh")
    a = np.asarray(cross_kernel(s, t, jnp.asarray(U), jnp.asarray(V)))
    b = np.asarray(cross_kernel(t, s, jnp.asarray(V), jnp.asarray(U)))
    np.testing.assert_allclose(a, b.T, rtol=0, atol=1e-15)


@pytest.mark.parametrize("a, b", [("relu_trim", "tanh"), ("tanh", "relu_trim"), ("softplus", "gelu")])
def test_cross_gradients_match_finite_differences_at_c_pm1(a, b):
    sa, sb = get_activation(a), get_activation(b)
    for p, q in [(0, 0), (1, 1), (2, 3)]:  # c = +1, c = −1, generic
        v = jnp.asarray(V[q : q + 1])
        f = lambda u: float(cross_kernel(sa, sb, jnp.asarray(u)[None], v)[0, 0])  # noqa: E731
        g = np.asarray(jax.grad(lambda u: cross_kernel(sa, sb, u[None], v)[0, 0])(jnp.asarray(U[p])))
        assert np.all(np.isfinite(g))
        h = 1e-5
        fd = np.array([(f(U[p] + h * e) - f(U[p] - h * e)) / (2 * h) for e in np.eye(4)])
        np.testing.assert_allclose(g, fd, rtol=0, atol=1e-6, err_msg=f"{a}×{b} pair {p},{q}")
