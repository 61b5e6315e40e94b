"""Monte-Carlo test risk: zero for the teacher, agrees with the exact population loss within 4 standard errors."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import featlearn
from featlearn.baselines import MCRisk, mc_test_risk

N_SIGMA = 4.0


@pytest.fixture(scope="module")
def teacher():
    return featlearn.make_teacher(8, 3, jax.random.PRNGKey(0), a_star="alternating")


_forward = jax.jit(featlearn.forward, static_argnames=("activation",))


def _predictor(params, act):
    return lambda X: np.asarray(_forward(params, jnp.asarray(X), activation=act))


@pytest.mark.parametrize("act", ["relu", "relu_trim"])
def test_teacher_has_zero_risk(teacher, act):
    est, se = mc_test_risk(_predictor(teacher, act), teacher, act, 3000, jax.random.PRNGKey(1), block_size=2000)
    assert est == 0.0 and se == 0.0


@pytest.mark.parametrize("act", ["relu", "erf", pytest.param("abs", marks=pytest.mark.slow)])
def test_known_network_matches_population_loss(teacher, act):
    k1, k2 = jax.random.split(jax.random.PRNGKey(2))
    net = featlearn.Params(teacher.a + 0.3 * jax.random.normal(k1, teacher.a.shape),
                           teacher.W + 0.3 * jax.random.normal(k2, teacher.W.shape))
    exact = float(featlearn.population_loss(net, teacher, act))
    res = mc_test_risk(_predictor(net, act), teacher, act, 60_000, jax.random.PRNGKey(3), block_size=20_000)
    assert isinstance(res, MCRisk)
    assert abs(res.estimate - exact) <= N_SIGMA * res.standard_error, (res, exact)
    assert res.standard_error < 0.05 * exact  # the check is not vacuous


def test_label_noise_is_unbiased(teacher):
    net = featlearn.Params(0.5 * teacher.a, teacher.W)
    exact = float(featlearn.population_loss(net, teacher, "relu"))
    res = mc_test_risk(_predictor(net, "relu"), teacher, "relu", 60_000, jax.random.PRNGKey(4), noise_std=0.5, block_size=20_000)
    assert abs(res.estimate - exact) <= N_SIGMA * res.standard_error


def test_input_checks(teacher):
    with pytest.raises(ValueError, match="n_test"):
        mc_test_risk(lambda X: np.zeros(len(X)), teacher, "relu", 1, jax.random.PRNGKey(0))
    with pytest.raises(ValueError, match="predictions"):
        mc_test_risk(lambda X: np.zeros(3), teacher, "relu", 10, jax.random.PRNGKey(0))
