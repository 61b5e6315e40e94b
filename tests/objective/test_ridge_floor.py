"""The closed-form second layer floors its ridge at the rounding level of the Gram matrix (float32: the
neurons are nearly collinear after the first step, and a ridge below ε‖K‖ gave a huge, cancelling a)."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import featlearn
from featlearn.gaussian import get_activation
from featlearn.objective import optimal_second_layer
from featlearn.objective.population import ridge_floor


def _collinear(m, d, dtype, seed=0):
    t = featlearn.make_teacher(d, 1, jax.random.PRNGKey(seed), a_star=[1.0], activation="abs")
    noise = 1e-3 * jax.random.normal(jax.random.PRNGKey(seed + 1), (m, d))
    signs = jnp.where(jnp.arange(m) % 2 == 0, 1.0, -1.0)[:, None]  # ±w*: the same feature for abs
    return t, (signs * t.W + noise).astype(dtype)


def test_floor_leaves_float64_ridges_unchanged():
    G = jnp.eye(512) * 3.0
    assert float(ridge_floor(1e-6, G)) == 1e-6
    assert float(ridge_floor(0.0, G)) == pytest.approx(512 * np.finfo(np.float64).eps * 3.0)


def test_float32_fit_is_bounded_and_fits_as_well_as_float64_with_the_same_ridge():
    t, W32 = _collinear(512, 20, jnp.float32)
    a32 = optimal_second_layer(W32, t, "abs", 1e-6)
    W64 = W32.astype(jnp.float64)
    K64 = np.asarray(get_activation("abs").kernel(W64, W64))
    lam = float(ridge_floor(1e-6, jnp.asarray(K64, jnp.float32)))
    assert lam > 1e-6  # the floor is active in float32 at this size
    # reference: the same regularised system solved in float64 by numpy
    b = np.asarray(get_activation("abs").kernel(W64, t.W)) @ np.asarray(t.a)
    ref = np.linalg.solve(K64 + lam * np.eye(512), b)
    assert np.abs(np.asarray(a32)).sum() < 5.0  # the teacher's mass is 1 (without the floor: 150)
    L32 = float(featlearn.population_loss(featlearn.Params(jnp.asarray(a32, jnp.float64), W64), t, "abs"))
    L_ref = float(featlearn.population_loss(featlearn.Params(jnp.asarray(ref), W64), t, "abs"))
    assert 0.0 <= L_ref <= L32 <= L_ref + 1e-6  # (losses in float64: the float32 fit is as good as the rounding allows)
