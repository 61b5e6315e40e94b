"""Linearised (lazy / NTK) population objective: closed forms vs Monte Carlo, autodiff, finite differences."""

import functools
import math
import time

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from featlearn.model import relative_movement
from jax.flatten_util import ravel_pytree

import featlearn
from featlearn import Params
from featlearn.objective.linearised import (
    grad_moment,
    linearised_loss,
    linearised_minimiser,
    linearised_quadratic,
)

ACTS = ["relu", "abs", "relu_trim", "erf"]
KINDS = ["small", "degenerate"]
SQRT_2PI = math.sqrt(2.0 * math.pi)


def _problem(kind, act, seed=0):
    """θ₀ and a teacher.

    "small": random, m = 3, d = 4. "degenerate" (m = 6, d = 5): neurons 0, 1 are one direction with opposite
    a (a symmetric-init pair), 2 is antipodal to them, 4 is a positive multiple of 3, 5 lies on a teacher.
    """
    k = jax.random.split(jax.random.PRNGKey(seed), 4)
    if kind == "small":
        d, m = 4, 3
        W = 0.8 * jax.random.normal(k[0], (m, d))
        a = jax.random.normal(k[1], (m,))
    else:
        d = 5
        R = jax.random.normal(k[0], (2, d))
        t_dir = featlearn.make_teacher(d, 2, k[2], directions="random", activation=act).W[0]
        W = jnp.stack([R[0], R[0], -R[0], R[1], 2.5 * R[1], 1.3 * t_dir])
        a = jax.random.normal(k[1], (6,)) * jnp.array([1.0, 0.0, 1.0, 1.0, 1.0, 1.0])
        a = a.at[1].set(-a[0])
    teacher = featlearn.make_teacher(d, 2, k[2], a_star="alternating", directions="random", activation=act)
    return Params(a, W), teacher


_loss = featlearn.population_loss


@functools.lru_cache(maxsize=None)
def _setup(kind, act):
    params0, teacher = _problem(kind, act)
    return params0, teacher, linearised_quadratic(params0, teacher, act)


@functools.partial(jax.jit, static_argnums=4)
def _mc_residual_sq(params0, dparams, teacher, X, act):
    f0, jvp = jax.jvp(lambda p: featlearn.forward(p, X, act), (params0,), (dparams,))
    return 0.5 * (f0 + jvp - featlearn.forward(teacher, X, act)) ** 2


def _delta(params0, seed, scale=0.5):
    flat, _ = ravel_pytree(params0)
    return scale * jax.random.normal(jax.random.PRNGKey(100 + seed), flat.shape)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("act", ACTS)
def test_linearised_loss_matches_monte_carlo_of_jvp(act, kind):
    params0, teacher, quad = _setup(kind, act)
    delta = _delta(params0, 1)
    X = jnp.asarray(np.random.default_rng(7).standard_normal((1_000_000, params0.d)))
    vals = np.asarray(_mc_residual_sq(params0, quad.unravel(delta), teacher, X, act))
    est, se = vals.mean(), vals.std(ddof=1) / math.sqrt(vals.size)
    exact = float(linearised_loss(delta, quad))
    assert abs(exact - est) <= 4 * se, (exact, est, se)
    # power: the first-layer curvature term (where the c = ±1 closed forms live) is far above the MC noise
    dW = delta.at[: params0.m].set(0.0)
    assert 0.5 * float(dW @ quad.G @ dW) > 25 * se


def _np_grad(act, w, X):
    """∇_w σ(w·x) for every row of X (n, d), written from the definitions."""
    z = X @ w
    if act == "relu":
        return (z > 0)[:, None] * X
    if act == "abs":
        return np.sign(z)[:, None] * X
    if act == "relu_trim":
        return ((z > 0) - 0.5)[:, None] * X - w / np.linalg.norm(w) / SQRT_2PI
    return (math.sqrt(2.0 / math.pi) * np.exp(-0.5 * z**2))[:, None] * X


@pytest.mark.parametrize("case", ["c=1", "c=-1", "generic"])
@pytest.mark.parametrize("act", ACTS)
def test_grad_moment_matches_monte_carlo(act, case):
    rng = np.random.default_rng(3)
    u = rng.standard_normal(4)
    v = {"c=1": 2.0 * u, "c=-1": -0.5 * u, "generic": rng.standard_normal(4)}[case]
    X = rng.standard_normal((1_000_000, 4))
    gu, gv = _np_grad(act, u, X), _np_grad(act, v, X)
    n = X.shape[0]
    mean = gu.T @ gv / n
    se = np.sqrt(np.maximum((gu**2).T @ (gv**2) / n - mean**2, 0.0) / n)
    H = np.asarray(grad_moment(act, jnp.asarray(u), jnp.asarray(v)))
    assert np.all(np.abs(H - mean) <= 4 * se + 1e-12), (H, mean, se)


@pytest.mark.parametrize("act", ACTS)
def test_grad_moment_equals_autodiff_off_alignment_and_is_continuous_at_it(act):
    u, v = jax.random.normal(jax.random.PRNGKey(5), (2, 6))

    def k(x, y):
        return featlearn.kernel(act, x[None, :], y[None, :])[0, 0]

    np.testing.assert_allclose(grad_moment(act, u, v), jax.jacfwd(jax.grad(k, 0), 1)(u, v), atol=1e-12)
    for sign in (1.0, -1.0):  # approaching c = ±1 along a tiny angle ε: the closed form is O(ε)-continuous
        w = sign * 1.7 * (u + 1e-7 * v)
        np.testing.assert_allclose(grad_moment(act, u, w), grad_moment(act, u, sign * 1.7 * u), atol=1e-6)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("act", ACTS)
def test_gauss_newton_is_symmetric_psd(act, kind):
    params0, _, quad = _setup(kind, act)
    G = np.asarray(quad.G)
    assert G.shape == (params0.m * (params0.d + 1),) * 2
    assert np.all(np.isfinite(G))
    np.testing.assert_array_equal(G, G.T)
    ev = np.linalg.eigvalsh(G)
    assert ev.min() >= -1e-12 * ev.max()


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("act", ACTS)
def test_first_order_part_matches_population_loss(act, kind):
    params0, teacher, quad = _setup(kind, act)
    assert float(quad.L0) == pytest.approx(float(featlearn.population_loss(params0, teacher, act)), rel=1e-13)
    for seed in range(3):
        delta = _delta(params0, seed, scale=1.0)
        eps = 1e-5
        dparams = quad.unravel(eps * delta)
        plus = jax.tree_util.tree_map(jnp.add, params0, dparams)
        minus = jax.tree_util.tree_map(jnp.subtract, params0, dparams)
        fd = (_loss(plus, teacher, act) - _loss(minus, teacher, act)) / (2 * eps)
        assert float(quad.g @ delta) == pytest.approx(float(fd), rel=1e-6, abs=1e-9)
        # L_lin − L₀ − gᵀΔ = ½ΔᵀGΔ ≥ 0
        rest = float(linearised_loss(delta, quad) - quad.L0 - quad.g @ delta)
        assert rest == pytest.approx(0.5 * float(delta @ quad.G @ delta), rel=1e-10)
        assert rest >= 0.0


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("act", ACTS)
def test_gauss_newton_is_the_hessian_when_the_teacher_is_theta0(act, kind):
    # with f* = f_θ₀ the residual term vanishes: L(θ₀ + εΔ) = ½ε² ΔᵀGΔ + o(ε²) (o(ε^{5/2}) for kinks);
    # G does not depend on the teacher, so the quadratic built against the real teacher serves
    params0, _, quad = _setup(kind, act)
    delta = _delta(params0, 4, scale=1.0)
    eps = 1e-5
    moved = quad.params(eps * delta)
    ratio = float(_loss(moved, params0, act)) / (0.5 * eps**2 * float(delta @ quad.G @ delta))
    assert ratio == pytest.approx(1.0, abs=1e-2)


@pytest.mark.parametrize("act", ACTS)
def test_exact_in_second_layer_direction(act):
    # f is linear in a, so L_lin = L along Δ = (Δa, 0)
    params0, teacher, quad = _setup("degenerate", act)
    da = jax.random.normal(jax.random.PRNGKey(9), (params0.m,))
    delta = quad.ravel(Params(da, jnp.zeros_like(params0.W)))
    exact = _loss(params0._replace(a=params0.a + da), teacher, act)
    assert float(linearised_loss(delta, quad)) == pytest.approx(float(exact), rel=1e-11)


def test_ravel_order_and_helpers():
    params0, teacher, quad = _setup("small", "relu")
    flat = quad.ravel(params0)
    np.testing.assert_array_equal(flat, jnp.concatenate([params0.a, params0.W.reshape(-1)]))
    back = quad.unravel(flat)
    np.testing.assert_array_equal(back.W, params0.W)
    moved = quad.params(jnp.concatenate([jnp.zeros(3), 0.1 * params0.W.reshape(-1)]))
    assert float(relative_movement(moved.W, params0.W)) == pytest.approx(0.1, rel=1e-12)
    losses = jax.jit(jax.vmap(linearised_loss, in_axes=(0, None)))(jnp.stack([flat, -flat]), quad)
    assert losses.shape == (2,)
    # GD from 0 on L_lin ends at the min-norm minimiser: zero gradient there, lower loss than at 0
    dhat = linearised_minimiser(quad)
    np.testing.assert_allclose(quad.G @ dhat + quad.g, 0.0, atol=1e-9)
    assert float(linearised_loss(dhat, quad)) < float(quad.L0)
    with pytest.raises(ValueError, match="linear head"):
        linearised_quadratic(params0._replace(c=jnp.zeros(()), v=jnp.zeros(4)), teacher, "relu")


def test_assembly_is_fast_at_m64_d20():
    teacher = featlearn.make_teacher(20, 3, jax.random.PRNGKey(0))
    W = jax.random.normal(jax.random.PRNGKey(1), (64, 20)) / math.sqrt(20)
    params0 = Params(jnp.where(jnp.arange(64) % 2 == 0, 1.0, -1.0), W.at[1].set(W[0]))
    linearised_quadratic(params0, teacher, "relu_trim").G.block_until_ready()  # compile
    start = time.perf_counter()
    quad = linearised_quadratic(params0._replace(a=1.1 * params0.a), teacher, "relu_trim")
    quad.G.block_until_ready()
    assert time.perf_counter() - start < 1.0
    assert quad.G.shape == (1344, 1344) and bool(jnp.all(jnp.isfinite(quad.G)))
