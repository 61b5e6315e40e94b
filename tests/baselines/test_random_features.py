"""Random-features ridge: population closed form is optimal, empirical ridge converges to it, estimator API."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import featlearn
from featlearn.baselines import (
    NotFittedError,
    RandomFeaturesRidge,
    random_directions,
    rf_ridge,
    rf_ridge_empirical,
    rf_ridge_population,
)

ACT = "relu"
# jitted once per shape (op-by-op dispatch would compile every primitive separately)
_sample = jax.jit(featlearn.sample_data, static_argnames=("activation", "n", "noise_std"))
_forward = jax.jit(featlearn.forward, static_argnames=("activation",))
_loss = jax.jit(featlearn.population_loss, static_argnames=("activation",))


@pytest.fixture(scope="module")
def setup():
    teacher = featlearn.make_teacher(6, 3, jax.random.PRNGKey(0), a_star="alternating")
    W = random_directions(25, 6, jax.random.PRNGKey(1))
    return teacher, W


@jax.jit
def _objective_relu(a, W, teacher, lam):
    return featlearn.population_loss(featlearn.Params(a, W), teacher, ACT) + 0.5 * lam * jnp.sum(a * a)


def _objective(a, W, teacher, lam, act=ACT):
    return featlearn.population_loss(featlearn.Params(a, W), teacher, act) + 0.5 * lam * jnp.sum(a * a)


@pytest.mark.parametrize(
    "act", ["relu", "erf", pytest.param("abs", marks=pytest.mark.slow), pytest.param("relu_trim", marks=pytest.mark.slow)]
)
def test_population_solution_is_optimal(setup, act):
    teacher, W = setup
    lam = 1e-3
    p = rf_ridge_population(W, teacher, act, lam)
    objective = jax.jit(jax.vmap(lambda a: _objective(a, W, teacher, lam, act)))
    deltas = jnp.asarray(np.random.default_rng(2).standard_normal((20, W.shape[0])))
    scales = jnp.repeat(jnp.array([1e-1, 1e-3]), 10)[:, None]
    values = objective(jnp.concatenate([p.a[None], p.a[None] + scales * deltas]))
    assert bool(jnp.all(values[0] <= values[1:]))  # every perturbed second layer is worse
    # first-order condition by autodiff of the exact objective
    g = jax.jit(jax.grad(_objective), static_argnums=4)(p.a, W, teacher, lam, act)
    assert float(jnp.max(jnp.abs(g))) < 1e-10


def test_population_recovers_teacher_when_features_contain_it(setup):
    teacher, W = setup
    p = rf_ridge_population(jnp.concatenate([W, teacher.W]), teacher, ACT, 1e-12)
    assert float(_loss(p, teacher, activation=ACT)) < 1e-8


def test_population_is_jittable_and_vmappable(setup):
    teacher, W = setup
    f = jax.jit(lambda lam: rf_ridge_population(W, teacher, ACT, lam).a)
    lams = jnp.array([1e-3, 1e-2])
    out = jax.vmap(f)(lams)
    np.testing.assert_allclose(out[1], rf_ridge_population(W, teacher, ACT, 1e-2).a, rtol=1e-10)


def test_empirical_approaches_population(setup):
    teacher, W = setup
    lam = 1e-2
    pop = rf_ridge_population(W, teacher, ACT, lam)
    best = float(_objective_relu(pop.a, W, teacher, lam))
    gaps, errs = [], []
    for n in (2_000, 50_000):
        X, y = _sample(teacher, activation=ACT, n=n, key=jax.random.PRNGKey(3))
        emp = rf_ridge_empirical(W, np.asarray(X), np.asarray(y), ACT, lam, block_size=50_000)
        gaps.append(float(_objective_relu(emp.a, W, teacher, lam)) - best)
        errs.append(float(jnp.linalg.norm(emp.a - pop.a) / jnp.linalg.norm(pop.a)))
    assert min(gaps) >= -1e-12  # the population solution is optimal for the population objective
    assert gaps[1] < 0.1 * gaps[0]  # the excess objective shrinks ~1/n (measured 0.04 for n × 25)
    assert errs[1] < 0.05 and errs[1] < errs[0]


def test_rf_ridge_dispatch(setup):
    teacher, _ = setup
    key = jax.random.PRNGKey(4)
    p_pop = rf_ridge(key, 10, teacher, ACT, 1e-2)
    p_emp = rf_ridge(key, 10, teacher, ACT, 1e-2, n=5000)
    np.testing.assert_array_equal(p_pop.W, p_emp.W)  # same directions from the same key
    np.testing.assert_allclose(jnp.linalg.norm(p_pop.W, axis=1), 1.0, rtol=1e-12)


def test_estimator(setup):
    teacher, _ = setup
    X, y = _sample(teacher, activation=ACT, n=4000, key=jax.random.PRNGKey(5))
    X, y = np.asarray(X), np.asarray(y)
    est = RandomFeaturesRidge(n_features=40, alpha=1e-3, activation=ACT, seed=7)
    assert est.get_params() == {"n_features": 40, "alpha": 1e-3, "activation": ACT, "seed": 7, "block_size": 8192}
    with pytest.raises(NotFittedError, match="fit"):
        est.predict(X)
    assert est.fit(X, y) is est
    assert est.W_.shape == (40, 6) and est.coef_.shape == (40,)
    np.testing.assert_allclose(est.predict(X[:9]), np.asarray(_forward(est.params_, X[:9], activation=ACT)), rtol=1e-10)
    loss = est.population_excess_loss(teacher)
    assert loss == pytest.approx(float(featlearn.population_loss(est.params_, teacher, ACT)))
    null = float(_loss(featlearn.Params(0 * teacher.a, teacher.W), teacher, activation=ACT))
    assert loss < 0.5 * null
    # population fit with the same seed uses the same directions
    pop = RandomFeaturesRidge(n_features=40, alpha=1e-3, activation=ACT, seed=7).fit_population(teacher)
    np.testing.assert_array_equal(pop.W_, est.W_)
    assert pop.population_excess_loss(teacher) <= loss + 1e-3 * 0.5 * float(jnp.sum(est.coef_**2))
    with pytest.raises(ValueError, match="activation"):
        RandomFeaturesRidge(activation="swish").fit(X, y)
