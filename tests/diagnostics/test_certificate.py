"""Empirical certificate η_λ and certificate_sup (DESIGN §1.5): exact minimisers built by hand,
non-optimal stationary points, brute force on a fine grid of S², a GD-trained network."""

import math
import time
from functools import partial

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import featlearn
from featlearn.diagnostics import certificate_sup, certificate_support_gap, empirical_certificate
from diag_helpers import G1_RELU_TRIM, fibonacci_sphere, kernel_np, orthonormal_teacher, split_network

LAM = 1e-2
A_STAR = [1.0, -1.5, 0.8]


M = 9  # every network below is padded with zero neurons to M (one compilation; zero rows are harmless)


@partial(jax.jit, static_argnums=2)
def grad_norm(params, teacher, activation, lam):
    g = jax.grad(featlearn.regularised_population_loss)(params, teacher, activation, lam)
    return jnp.sqrt(sum(jnp.sum(x * x) for x in jax.tree.leaves(g)))


def pad(net, m=M):
    k = m - net.a.shape[0]
    return net._replace(a=jnp.concatenate([net.a, jnp.zeros(k)]), W=jnp.concatenate([net.W, jnp.zeros((k, net.W.shape[1]))]))


def exact_minimiser(teacher, lam, fractions, excess=0.0):
    """Orthonormal teacher, relu_trim: K(W*, W*) = g(1) I, so the TV problem decouples per teacher and
    the balanced minimiser carries mass |a*_i| − λ/g(1) at w*_i; η_λ = Σ s_i k(u, w*_i)/g(1) and
    |η_λ| ≤ 1 since g(c) ≤ g(1) c² (relu_trim has Hermite orders ≥ 2 only) and Σ_i c_i² ≤ 1.
    `excess` adds excess·λ/g(1) to every mass."""
    masses = np.abs(np.asarray(teacher.a)) - (1.0 - excess) * lam / G1_RELU_TRIM
    return pad(split_network(teacher, masses, fractions))


@pytest.fixture(scope="module")
def teacher():
    return orthonormal_teacher(6, A_STAR, seed=0)


def test_exact_minimiser(teacher):
    net = exact_minimiser(teacher, LAM, [[0.3, 0.7], [1.0], [0.5, 0.25, 0.25]])
    assert grad_norm(net, teacher, "relu_trim", LAM) < 1e-12  # stationary: checks the construction
    sup, arg = certificate_sup(net, teacher, "relu_trim", LAM, jax.random.PRNGKey(0))
    assert 1.0 - 1e-9 <= float(sup) <= 1.0 + 1e-9
    assert float(jnp.linalg.norm(arg)) == pytest.approx(1.0, abs=1e-12)
    assert float(jnp.max(jnp.abs(teacher.W @ arg))) == pytest.approx(1.0, abs=1e-6)  # attained at a teacher
    assert float(certificate_support_gap(net, teacher, "relu_trim", LAM)) < 1e-9


def test_exact_minimiser_with_linear_head(teacher):
    # relu with a free head: the head absorbs orders 0, 1 and the neuron part is the relu_trim problem
    net = featlearn.optimal_head(exact_minimiser(teacher, LAM, [[1.0], [0.5, 0.5], [1.0]]), teacher, "relu")
    assert grad_norm(net, teacher, "relu", LAM) < 1e-12
    sup, _ = certificate_sup(net, teacher, "relu", LAM, jax.random.PRNGKey(0))
    assert abs(float(sup) - 1.0) < 1e-9
    # a wrong head adds (c + mean residual)·μ(u) + (v + linear residual)·ℓ(u) to −λ η_λ
    off = net._replace(c=net.c + 0.05)
    eta = empirical_certificate(off, teacher, "relu", LAM)
    u = jnp.asarray(np.eye(6)[:1])
    mu_u = 1 / math.sqrt(2 * math.pi)
    assert float(eta(u)[0]) == pytest.approx(float(empirical_certificate(net, teacher, "relu", LAM)(u)[0]) - 0.05 * mu_u / LAM, rel=1e-10)


def test_non_optimal_stationary_point(teacher):
    # drop teacher 2: K(W*, W*) is diagonal and ∇_w k(w, w*_2) = 0 at w ⊥ w*_2 (g(0) = g'(0) = 0), so the
    # network is still stationary, but η_λ(w*_2) = a*_2 g(1)/λ.
    net = exact_minimiser(teacher, LAM, [[1.0], [0.4, 0.6], []])
    assert grad_norm(net, teacher, "relu_trim", LAM) < 1e-12
    sup, arg = certificate_sup(net, teacher, "relu_trim", LAM, jax.random.PRNGKey(0))
    expected = A_STAR[2] * G1_RELU_TRIM / LAM
    assert expected > 1.0
    assert float(sup) == pytest.approx(expected, rel=1e-9)
    assert abs(float(teacher.W[2] @ arg)) == pytest.approx(1.0, abs=1e-6)


def test_matches_brute_force_on_the_sphere():
    rng = np.random.default_rng(3)
    teacher = featlearn.Params(jnp.asarray([1.0, -1.0]), jnp.asarray(np.linalg.qr(rng.standard_normal((3, 2)))[0].T))
    net = featlearn.Params(jnp.asarray(rng.standard_normal(5)), jnp.asarray(rng.standard_normal((5, 3))))
    lam = 0.05
    U = fibonacci_sphere(400_000)  # spacing ≈ 0.32°
    eta_ref = -(kernel_np("abs", U, np.asarray(net.W)) @ np.asarray(net.a)
                - kernel_np("abs", U, np.asarray(teacher.W)) @ np.asarray(teacher.a)) / lam
    grid_max = np.abs(eta_ref).max()
    sup, arg = certificate_sup(net, teacher, "abs", lam, jax.random.PRNGKey(1))
    assert grid_max - 1e-12 <= float(sup) <= grid_max * (1 + 1e-4)
    value_at_arg = -(kernel_np("abs", np.asarray(arg)[None], np.asarray(net.W)) @ np.asarray(net.a)
                     - kernel_np("abs", np.asarray(arg)[None], np.asarray(teacher.W)) @ np.asarray(teacher.a)) / lam
    assert abs(value_at_arg[0]) == pytest.approx(float(sup), rel=1e-12)


def _gd(params, teacher, lam, steps, lr=0.5):
    g = jax.grad(featlearn.regularised_population_loss)

    @jax.jit
    def run(p):
        return jax.lax.fori_loop(0, steps, lambda i, p: jax.tree.map(lambda x, y: x - lr * y, p, g(p, teacher, "relu_trim", lam)), p)

    return run(params)


def _near_teacher_start(teacher, m, mass_scale, seed):
    rng = np.random.default_rng(seed)
    m_star, d = teacher.W.shape
    idx = np.arange(m) % m_star
    U = np.asarray(teacher.W)[idx] + 0.05 * rng.standard_normal((m, d))
    U /= np.linalg.norm(U, axis=1, keepdims=True)
    mu = mass_scale * np.abs(np.asarray(teacher.a))[idx] / (m / m_star) * rng.uniform(0.5, 1.5, m)
    return featlearn.Params(jnp.asarray(np.sign(np.asarray(teacher.a))[idx] * np.sqrt(mu)), jnp.asarray(np.sqrt(mu)[:, None] * U))


def test_gd_converged_and_stopped_early(teacher):
    start = _near_teacher_start(teacher, M, mass_scale=0.3, seed=0)  # too little mass: η_λ > 1 at the teachers
    early = _gd(start, teacher, LAM, 20)
    sup_early, _ = certificate_sup(early, teacher, "relu_trim", LAM, jax.random.PRNGKey(0))
    assert float(sup_early) > 1.5
    done = _gd(start, teacher, LAM, 4000)
    assert grad_norm(done, teacher, "relu_trim", LAM) < 1e-9
    sup, _ = certificate_sup(done, teacher, "relu_trim", LAM, jax.random.PRNGKey(0))
    assert 1.0 - 1e-6 <= float(sup) <= 1.0 + 1e-3
    assert float(certificate_support_gap(done, teacher, "relu_trim", LAM)) < 1e-6


def test_too_much_mass_is_caught_by_the_support_gap(teacher):
    # Half the optimal shrinkage: η_λ = ½ Σ s_i k(u, w*_i)/g(1), so |η_λ| ≤ ½ < 1 everywhere, but
    # η_λ(ŵ_j) = ½ sign(a_j) ≠ sign(a_j): not optimal, and the support gap says so.
    net = exact_minimiser(teacher, LAM, [[1.0], [1.0], [1.0]], excess=0.5)
    sup, _ = certificate_sup(net, teacher, "relu_trim", LAM, jax.random.PRNGKey(0))
    assert float(sup) == pytest.approx(0.5, abs=1e-9)
    assert float(certificate_support_gap(net, teacher, "relu_trim", LAM)) == pytest.approx(0.5, abs=1e-9)


def test_fast_for_d20_m64():
    t = orthonormal_teacher(20, [1.0, -1.0, 1.0], seed=0)
    net = featlearn.Params(jax.random.normal(jax.random.PRNGKey(0), (64,)) * 0.1, jax.random.normal(jax.random.PRNGKey(1), (64, 20)))
    certificate_sup(net, t, "relu_trim", 1e-3, jax.random.PRNGKey(2)).sup.block_until_ready()  # compile
    t0 = time.perf_counter()
    certificate_sup(net, t, "relu_trim", 1e-3, jax.random.PRNGKey(3)).sup.block_until_ready()
    assert time.perf_counter() - t0 < 1.0
