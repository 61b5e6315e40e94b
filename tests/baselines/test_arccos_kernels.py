"""Closed-form NNGP / NTK kernels vs independent references: Monte Carlo over random weights, autodiff of a
finite-width network, exact diagonal values, and the Gaussian relu kernel of featlearn.gaussian."""

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import featlearn
from featlearn.baselines import arccos_kernel_matrix, nngp_kernel, ntk_kernel

D = 5
N_SIGMA = 4.0


def _pairs():
    """(x, x') pairs: generic, nearly parallel, antiparallel, orthogonal, identical, unequal norms."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal(D)
    y = rng.standard_normal(D)
    orth = y - (y @ x) / (x @ x) * x
    return [
        (x, y),
        (x, x + 1e-3 * y),
        (x, -2.0 * x + 0.1 * y),
        (x, orth),
        (x, x),
        (3.0 * x, 0.2 * y),
    ]


def _nngp_terms(x, xp, W):
    # one i.i.d. term per neuron: relu(w·x/√d) relu(w·x'/√d)
    return np.maximum(W @ x / math.sqrt(D), 0) * np.maximum(W @ xp / math.sqrt(D), 0)


@pytest.mark.parametrize("pair", range(6))
def test_nngp_matches_monte_carlo_over_weights(pair):
    x, xp = _pairs()[pair]
    W = np.random.default_rng(1 + pair).standard_normal((400_000, D))
    t = _nngp_terms(x, xp, W)
    est, se = t.mean(), t.std(ddof=1) / math.sqrt(t.size)
    k = nngp_kernel(x[None], xp[None])[0, 0]
    assert abs(k - est) <= N_SIGMA * se + 1e-12, (k, est, se)


def _finite_width_ntk_terms(x, xp, m, key):
    """Per-neuron contributions m·⟨∂f/∂θ_j(x), ∂f/∂θ_j(x')⟩ of f = (1/√m) Σ a_j relu(w_j·x/√d), by autodiff."""
    ka, kw = jax.random.split(key)
    a = jax.random.normal(ka, (m,))
    W = jax.random.normal(kw, (m, D))

    def f(a, W, z):
        return jnp.sum(a * jax.nn.relu(W @ z / jnp.sqrt(D))) / jnp.sqrt(m)

    ga, gW = jax.grad(f, argnums=(0, 1))(a, W, jnp.asarray(x))
    ga2, gW2 = jax.grad(f, argnums=(0, 1))(a, W, jnp.asarray(xp))
    return np.asarray(m * (ga * ga2 + jnp.sum(gW * gW2, axis=1)))


@pytest.mark.parametrize("pair", range(6))
def test_ntk_matches_autodiff_of_finite_width_network(pair):
    x, xp = _pairs()[pair]
    t = _finite_width_ntk_terms(x, xp, 200_000, jax.random.PRNGKey(10 + pair))
    est, se = t.mean(), t.std(ddof=1) / math.sqrt(t.size)
    k = ntk_kernel(x[None], xp[None])[0, 0]
    assert abs(k - est) <= N_SIGMA * se + 1e-12, (k, est, se)


def test_diagonal_values_and_symmetry():
    X = np.random.default_rng(2).standard_normal((7, D)) * np.arange(1, 8)[:, None]
    r2 = np.sum(X * X, axis=1)
    np.testing.assert_allclose(np.diag(nngp_kernel(X, X)), r2 / (2 * D), rtol=1e-13)
    np.testing.assert_allclose(np.diag(ntk_kernel(X, X)), r2 / D, rtol=1e-13)
    K = ntk_kernel(X, X)
    np.testing.assert_allclose(K, K.T, rtol=1e-13, atol=1e-15)


def test_nngp_equals_gaussian_relu_kernel_of_scaled_inputs():
    """E_w[relu(w·x/√d) relu(w·x'/√d)] is featlearn's E_x[relu(u·x) relu(v·x)] at u = x/√d, v = x'/√d."""
    rng = np.random.default_rng(3)
    X, Y = rng.standard_normal((6, D)), rng.standard_normal((4, D))
    ref = np.asarray(featlearn.kernel("relu", jnp.asarray(X) / math.sqrt(D), jnp.asarray(Y) / math.sqrt(D)))
    np.testing.assert_allclose(nngp_kernel(X, Y), ref, rtol=1e-12, atol=1e-15)


def test_ntk_minus_nngp_is_the_gradient_term():
    """Θ − K = (x·x'/d)(π − arccos c)/(2π), written directly."""
    rng = np.random.default_rng(4)
    X, Y = rng.standard_normal((5, D)), rng.standard_normal((3, D))
    G = X @ Y.T
    c = np.clip(G / np.outer(np.linalg.norm(X, axis=1), np.linalg.norm(Y, axis=1)), -1, 1)
    expected = G / D * (np.pi - np.arccos(c)) / (2 * np.pi)
    np.testing.assert_allclose(ntk_kernel(X, Y) - nngp_kernel(X, Y), expected, rtol=1e-12, atol=1e-15)


def test_zero_input_gives_zero_kernel_and_invalid_name_raises():
    X = np.zeros((2, D))
    X[1, 0] = 1.0
    for K in (nngp_kernel(X, X), ntk_kernel(X, X)):
        assert np.all(np.isfinite(K)) and np.all(K[0] == 0) and np.all(K[:, 0] == 0)
    with pytest.raises(ValueError, match="valid: ntk, nngp"):
        arccos_kernel_matrix(X, X, "rbf")
