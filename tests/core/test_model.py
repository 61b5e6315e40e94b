"""Params, forward, balance, teacher construction, sampling and the empirical loss."""

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import featlearn
from featlearn import Params
from featlearn.gaussian import reference as ref
from featlearn.teacher import pairwise_min_angle_deg


@pytest.mark.parametrize("act", ["relu", "abs", "relu_trim"])
def test_balance_keeps_function_and_equalises_layers(act):
    k1, k2, k3 = jax.random.split(jax.random.PRNGKey(0), 3)
    p = Params(3.0 * jax.random.normal(k1, (6,)), 0.4 * jax.random.normal(k2, (6, 5)))
    p = p._replace(a=p.a.at[5].set(0.0))  # a zero-mass neuron
    b = featlearn.balance(p, act)
    X = jax.random.normal(k3, (500, 5))
    np.testing.assert_allclose(np.asarray(featlearn.forward(b, X, act)), np.asarray(featlearn.forward(p, X, act)), rtol=1e-11, atol=1e-12)
    np.testing.assert_allclose(np.abs(np.asarray(b.a)), np.linalg.norm(np.asarray(b.W), axis=1), rtol=1e-12, atol=1e-15)
    # Weight decay at balance equals the total mass Σ μ_j.
    wd = 0.5 * (float(jnp.sum(b.a**2)) + float(jnp.sum(b.W**2)))
    assert wd == pytest.approx(float(jnp.sum(featlearn.mass(p))), rel=1e-12)


def test_balance_refuses_erf():
    p = Params(jnp.ones(2), jnp.ones((2, 3)))
    with pytest.raises(ValueError, match="erf.*not positively homogeneous"):
        featlearn.balance(p, "erf")


def test_forward_matches_numpy_definition():
    k1, k2 = jax.random.split(jax.random.PRNGKey(1))
    p = Params(jax.random.normal(k1, (4,)), jax.random.normal(k2, (4, 3)), jnp.asarray(0.5), jnp.asarray([1.0, -2.0, 0.1]))
    X = np.random.default_rng(0).standard_normal((50, 3))
    for act in ["relu", "abs", "relu_trim", "erf"]:
        a, W = np.asarray(p.a), np.asarray(p.W)
        expected = sum(a[j] * ref.sigma(act, X @ W[j], np.linalg.norm(W[j])) for j in range(4)) + 0.5 + X @ np.asarray(p.v)
        np.testing.assert_allclose(np.asarray(featlearn.forward(p, jnp.asarray(X), act)), expected, rtol=1e-12, atol=1e-12)


def test_make_teacher_orthonormal_and_signs():
    t = featlearn.make_teacher(6, 4, jax.random.PRNGKey(2), a_star=[1.0, -1.0, 1.0, 2.0])
    np.testing.assert_allclose(np.asarray(t.W @ t.W.T), np.eye(4), atol=1e-12)
    assert list(np.asarray(t.a)) == [1.0, -1.0, 1.0, 2.0]
    assert list(np.asarray(featlearn.make_teacher(3, 3, jax.random.PRNGKey(0), a_star="alternating").a)) == [1.0, -1.0, 1.0]
    signs = np.asarray(featlearn.make_teacher(3, 3, jax.random.PRNGKey(0), a_star="random_signs").a)
    assert set(np.abs(signs)) == {1.0}


@pytest.mark.parametrize("act,even", [("relu", False), ("abs", True)])
def test_random_teacher_respects_min_angle(act, even):
    t = featlearn.make_teacher(3, 5, jax.random.PRNGKey(3), directions="random", min_angle_deg=40.0, activation=act)
    np.testing.assert_allclose(np.linalg.norm(np.asarray(t.W), axis=1), 1.0, rtol=1e-12)
    assert pairwise_min_angle_deg(t.W, even=even) >= 40.0


def test_make_teacher_errors_name_the_argument():
    with pytest.raises(ValueError, match="directions: 'orthonormal' needs m_star ≤ d"):
        featlearn.make_teacher(3, 4, jax.random.PRNGKey(0))
    with pytest.raises(ValueError, match="min_angle_deg"):
        featlearn.make_teacher(2, 5, jax.random.PRNGKey(0), directions="random", min_angle_deg=80.0)
    with pytest.raises(ValueError, match="a_star: expected 3 values"):
        featlearn.make_teacher(4, 3, jax.random.PRNGKey(0), a_star=[1.0, 2.0])
    with pytest.raises(ValueError, match="a_star: unknown choice"):
        featlearn.make_teacher(4, 3, jax.random.PRNGKey(0), a_star="twos")


def test_explicit_directions_are_normalised():
    t = featlearn.make_teacher(2, 2, jax.random.PRNGKey(0), directions=[[2.0, 0.0], [0.0, -3.0]])
    np.testing.assert_allclose(np.asarray(t.W), [[1.0, 0.0], [0.0, -1.0]])


@pytest.mark.parametrize("act", ["relu_trim", "erf"])
def test_empirical_loss_converges_to_population_loss(act):
    """L̂ is an average of n i.i.d. terms with mean L + s²/2: check at two n within 4 standard errors."""
    k1, k2 = jax.random.split(jax.random.PRNGKey(4))
    teacher = featlearn.make_teacher(5, 2, k1, a_star="alternating")
    student = Params(jax.random.normal(k2, (3,)), jax.random.normal(k2, (3, 5)))
    s = 0.3
    target = float(featlearn.population_loss(student, teacher, act)) + s**2 / 2
    errors = []
    for n, seed in ((2_000, 5), (200_000, 6)):
        X, y = featlearn.sample_data(teacher, act, n, jax.random.PRNGKey(seed), noise_std=s)
        terms = 0.5 * (featlearn.forward(student, X, act) - y) ** 2
        se = float(jnp.std(terms)) / math.sqrt(n)
        Lhat = float(featlearn.empirical_loss(student, X, y, act))
        assert abs(Lhat - target) <= 4 * se, (n, Lhat, target, se)
        errors.append(se)
    assert errors[1] < errors[0] / 5


def test_sample_data_noise_level():
    teacher = featlearn.make_teacher(3, 2, jax.random.PRNGKey(0))
    X, y = featlearn.sample_data(teacher, "relu", 100_000, jax.random.PRNGKey(1), noise_std=0.5)
    resid = y - featlearn.forward(teacher, X, "relu")
    assert float(jnp.std(resid)) == pytest.approx(0.5, rel=0.02)
    assert X.shape == (100_000, 3) and X.dtype == jnp.float64
