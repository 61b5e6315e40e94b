"""Hessian of L_λ (DESIGN §1.2): against finite differences of the fused gradient (an independent
implementation), also where directions coincide (k is C² there, not C³), PSD at a global minimum."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.flatten_util import ravel_pytree

import featlearn
from featlearn.diagnostics import hessian_matrix, hessian_spectrum
from diag_helpers import G1_RELU_TRIM, orthonormal_teacher, split_network

LAM = 1e-2


_GRAD = jax.jit(jax.grad(featlearn.regularised_population_loss), static_argnums=2)  # the fused custom_vjp gradient


def fd_hessian(params, teacher, activation, lam, eps):
    flat, unravel = ravel_pytree(params)

    def grad(x):
        return ravel_pytree(_GRAD(unravel(x), teacher, activation, lam))[0]

    return np.stack([(np.asarray(grad(flat + eps * e)) - np.asarray(grad(flat - eps * e))) / (2 * eps)
                     for e in np.eye(flat.size)])


@pytest.fixture(scope="module")
def teacher():
    return orthonormal_teacher(4, [1.0, -1.0], seed=0)


GENERIC = [("relu_trim", False), ("relu", True), ("erf", False)]
MORE = [("abs", False), ("relu", False)]


@pytest.mark.parametrize("activation,head", GENERIC + [pytest.param(*c, marks=pytest.mark.slow) for c in MORE])
def test_matches_finite_differences_generic(teacher, activation, head):
    rng = np.random.default_rng(0)
    net = featlearn.Params(jnp.asarray(rng.standard_normal(3)), jnp.asarray(rng.standard_normal((3, 4))))
    if head:
        net = jax.jit(featlearn.optimal_head, static_argnums=2)(net, teacher, activation)
    H = np.asarray(hessian_matrix(net, teacher, activation, LAM))
    Hfd = fd_hessian(net, teacher, activation, LAM, 1e-5)
    assert np.isfinite(H).all()
    np.testing.assert_allclose(H, Hfd, atol=1e-7 * np.abs(H).max())


@pytest.mark.parametrize("activation", ["relu_trim", pytest.param("abs", marks=pytest.mark.slow),
                                        pytest.param("relu", marks=pytest.mark.slow)])
def test_matches_finite_differences_at_coinciding_directions(teacher, activation):
    # two students on w*_0 (also a teacher direction) and one on w*_1: c = 1 between them and on the
    # diagonal, where autodiff of the naive kernel gives NaN. FD error is O(ε) there (C², not C³).
    W = np.asarray(teacher.W)
    net = featlearn.Params(jnp.asarray([0.9, 0.2, -0.95]), jnp.asarray(np.array([0.9, 0.2, 0.95])[:, None] * W[[0, 0, 1]]))
    H = np.asarray(hessian_matrix(net, teacher, activation, LAM))
    assert np.isfinite(H).all()
    err = [np.abs(H - fd_hessian(net, teacher, activation, LAM, eps)).max() for eps in (1e-4, 1e-5)]
    assert err[1] < 2e-5 * np.abs(H).max()
    assert err[1] < 0.2 * err[0]  # converges linearly in ε, towards our Hessian


def test_psd_at_global_minimum(teacher):
    # exact minimiser of the TV problem for an orthonormal teacher (see test_certificate.py)
    masses = np.abs(np.asarray(teacher.a)) - LAM / G1_RELU_TRIM
    net = split_network(teacher, masses, [[0.5, 0.5], [1.0]])
    spec = hessian_spectrum(net, teacher, "relu_trim", LAM)
    assert spec.n_params == 3 * 5 and spec.note == ""
    assert spec.asymmetry < 1e-12
    assert spec.eigenvalues.min() > -1e-10
    assert np.all(np.diff(spec.eigenvalues) >= 0)
    summary = spec.to_summary()
    assert summary["n_negative"] == 0 and summary["max_eigenvalue"] == pytest.approx(spec.eigenvalues[-1])


def test_skipped_above_size_limit(teacher):
    net = featlearn.Params(jnp.ones(3), jnp.ones((3, 4)))
    spec = hessian_spectrum(net, teacher, "relu_trim", LAM, max_params=10)
    assert spec.eigenvalues is None and spec.n_params == 15
    assert "max_params=10" in spec.note
    assert spec.to_summary() == {"n_params": 15, "note": spec.note}


@pytest.mark.parametrize("activation", ["relu_trim", "relu", "abs", "erf"])
def test_block_assembly_equals_hessian_vector_products(activation):
    """`hessian_matrix` (no head) assembles ∇²L_λ from the pair kernel's derivatives; the n Hessian-vector
    products of the fused gradient are a second method. Equal to rounding at generic neurons; with
    coincident, antipodal, on-teacher and zero-norm neurons equal to √ε: there the kernel is C² but not
    C³ (h''(c) = 1/√(1 − c²)), so a cosine rounded to 1 − ulp instead of 1 moves the curvature by ~√ulp."""
    from featlearn.diagnostics.hessian import hessian_matrix_hvp

    t = orthonormal_teacher(5, [1.0, -1.0, 1.0], seed=1)
    rng = np.random.default_rng(3)
    W = rng.standard_normal((6, 5)) / np.sqrt(5)
    a = jnp.asarray(rng.standard_normal(6))
    for special, rtol in ((False, 1e-13), (True, 1e-7)):
        if special:
            W[1], W[2], W[3], W[4] = W[0], -2 * W[0], 0.7 * np.asarray(t.W[0]), 0.0
        net = featlearn.Params(a, jnp.asarray(W))
        A = np.asarray(hessian_matrix(net, t, activation, LAM))
        B = np.asarray(hessian_matrix_hvp(net, t, activation, LAM))
        assert np.isfinite(A).all()
        np.testing.assert_allclose(A, B, rtol=0, atol=rtol * np.abs(B).max())
