"""Exact population loss vs Monte Carlo; the linear-head split; gradients vs finite differences."""

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import featlearn
from featlearn import Params
from featlearn.gaussian import reference as ref
from featlearn.objective import population_loss_reference

ACTS = ["relu", "abs", "relu_trim", "erf"]


def _np_forward(act, a, W, X, c=0.0, v=None):
    out = sum(a[j] * ref.sigma(act, X @ W[j], np.linalg.norm(W[j])) for j in range(len(a)))
    if v is not None:
        out = out + c + X @ v
    return out


def _random_problem(seed, d=4, m=5, m_star=3, act="relu"):
    k1, k2, k3 = jax.random.split(jax.random.PRNGKey(seed), 3)
    teacher = featlearn.make_teacher(d, m_star, k1, a_star="alternating", directions="random", min_angle_deg=20, activation=act)
    student = Params(jax.random.normal(k2, (m,)), 0.8 * jax.random.normal(k3, (m, d)))
    return teacher, student


@pytest.mark.parametrize("act", ACTS)
def test_population_loss_matches_monte_carlo(act):
    teacher, student = _random_problem(1, act=act)
    rng = np.random.default_rng(11)
    X = rng.standard_normal((1_000_000, 4))
    diff = _np_forward(act, np.asarray(student.a), np.asarray(student.W), X) - _np_forward(
        act, np.asarray(teacher.a), np.asarray(teacher.W), X
    )
    vals = 0.5 * diff**2
    est, se = vals.mean(), vals.std(ddof=1) / math.sqrt(len(vals))
    exact = float(featlearn.population_loss(student, teacher, act))
    assert abs(exact - est) <= 4 * se, (exact, est, se)
    assert float(population_loss_reference(student, teacher, act)) == pytest.approx(exact, rel=1e-12)


@pytest.mark.parametrize("act", ["relu", "abs", "erf"])
def test_linear_head_split_matches_direct_monte_carlo(act):
    teacher, student = _random_problem(2, act=act)
    c, v = 0.3, np.array([0.2, -0.1, 0.4, 0.05])
    student = student._replace(c=jnp.asarray(c), v=jnp.asarray(v))
    rng = np.random.default_rng(12)
    X = rng.standard_normal((1_000_000, 4))
    diff = _np_forward(act, np.asarray(student.a), np.asarray(student.W), X, c, v) - _np_forward(
        act, np.asarray(teacher.a), np.asarray(teacher.W), X
    )
    vals = 0.5 * diff**2
    est, se = vals.mean(), vals.std(ddof=1) / math.sqrt(len(vals))
    exact = float(featlearn.population_loss(student, teacher, act))
    assert abs(exact - est) <= 4 * se, (exact, est, se)


def test_optimal_head_minimises_and_relu_with_head_equals_trimmed_loss():
    teacher, student = _random_problem(3)
    best = featlearn.optimal_head(student, teacher, "relu")
    L_best = float(featlearn.population_loss(best, teacher, "relu"))
    # With the optimal head only the degree ≥ 2 part is left: exactly the relu_trim loss.
    L_trim = float(featlearn.population_loss(student, teacher, "relu_trim"))
    assert L_best == pytest.approx(L_trim, rel=1e-12)
    g = jax.grad(featlearn.population_loss)(best, teacher, "relu")
    assert abs(float(g.c)) < 1e-12 and float(jnp.max(jnp.abs(g.v))) < 1e-12


def _fd_check(f, params, rel=1e-6, h=1e-6, seed=0):
    """Directional central differences along random directions vs the autodiff gradient."""
    g = jax.grad(f)(params)
    rng = np.random.default_rng(seed)
    for _ in range(4):
        dirs = jax.tree.map(lambda x: jnp.asarray(rng.standard_normal(x.shape)), params)
        plus = jax.tree.map(lambda x, e: x + h * e, params, dirs)
        minus = jax.tree.map(lambda x, e: x - h * e, params, dirs)
        fd = (float(f(plus)) - float(f(minus))) / (2 * h)
        ad = sum(float(jnp.vdot(gi, ei)) for gi, ei in zip(jax.tree.leaves(g), jax.tree.leaves(dirs)))
        assert abs(fd - ad) <= rel * max(1.0, abs(ad)), (fd, ad)


@pytest.mark.parametrize("act", ACTS)
@pytest.mark.parametrize("loss", [featlearn.population_loss, population_loss_reference], ids=["fused", "autodiff"])
def test_gradient_matches_finite_differences(act, loss):
    teacher, student = _random_problem(4, act=act)
    _fd_check(lambda p: loss(p, teacher, act), student)
    head = student._replace(c=jnp.asarray(0.1), v=jnp.full((4,), 0.2))
    _fd_check(lambda p: loss(p, teacher, act), head)


@pytest.mark.parametrize("act", ACTS)
def test_gradients_finite_at_degenerate_points(act):
    teacher, student = _random_problem(5, act=act)
    W = student.W
    W = W.at[1].set(W[0])  # two neurons coincide: c = +1
    W = W.at[2].set(-0.5 * W[0])  # antipodal: c = −1
    W = W.at[3].set(teacher.W[1])  # exactly a teacher direction
    W = W.at[4].set(0.0)  # zero norm
    p = student._replace(W=W)
    for loss in (featlearn.population_loss, population_loss_reference):
        val, g = jax.value_and_grad(loss)(p, teacher, act)
        assert bool(jnp.isfinite(val))
        assert all(bool(jnp.all(jnp.isfinite(x))) for x in jax.tree.leaves(g))
    # The fused and the plain-autodiff gradients agree there too.
    g1 = jax.grad(featlearn.population_loss)(p, teacher, act)
    g2 = jax.grad(population_loss_reference)(p, teacher, act)
    np.testing.assert_allclose(np.asarray(g1.W), np.asarray(g2.W), atol=1e-12)
    np.testing.assert_allclose(np.asarray(g1.a), np.asarray(g2.a), atol=1e-12)


@pytest.mark.parametrize("act", ["relu", "abs", "relu_trim"])
def test_gradient_at_coincident_neurons_matches_finite_differences(act):
    # k is C¹ at c = ±1, so central differences still converge there (more slowly: h'' ~ 1/√(1−c²)).
    teacher, student = _random_problem(6, act=act)
    W = student.W.at[1].set(student.W[0]).at[2].set(teacher.W[0])
    _fd_check(lambda p: featlearn.population_loss(p, teacher, act), student._replace(W=W), rel=1e-5, h=1e-7)


def test_loss_is_zero_at_teacher_and_positive_elsewhere():
    teacher, student = _random_problem(7)
    assert float(featlearn.population_loss(teacher, teacher, "relu")) == pytest.approx(0.0, abs=1e-13)
    assert float(featlearn.population_loss(student, teacher, "relu")) > 0.1


@pytest.mark.parametrize("act", ACTS)
def test_jit_and_vmap_over_parameter_batches(act):
    teacher, _ = _random_problem(8, act=act)
    keys = jax.random.split(jax.random.PRNGKey(1), 6)
    batch = jax.vmap(lambda k: Params(jax.random.normal(k, (5,)), jax.random.normal(k, (5, 4))))(keys)
    vg = jax.jit(jax.vmap(jax.value_and_grad(featlearn.population_loss), in_axes=(0, None, None)), static_argnums=2)
    vals, grads = vg(batch, teacher, act)
    for i in range(6):
        p = jax.tree.map(lambda x: x[i], batch)
        v1, g1 = jax.value_and_grad(featlearn.population_loss)(p, teacher, act)
        assert float(vals[i]) == pytest.approx(float(v1), rel=1e-12)
        np.testing.assert_allclose(np.asarray(grads.W[i]), np.asarray(g1.W), rtol=1e-10, atol=1e-12)


def test_float32_inputs_keep_float32():
    teacher, student = _random_problem(9)
    s32 = jax.tree.map(lambda x: x.astype(jnp.float32), student)
    t32 = jax.tree.map(lambda x: x.astype(jnp.float32), teacher)
    val, g = jax.value_and_grad(featlearn.population_loss)(s32, t32, "relu")
    assert val.dtype == jnp.float32 and g.W.dtype == jnp.float32
