"""Descent direction of DESIGN §1.6 (E6): the target θ̃ on a hand-built network, the inner product
against finite differences, and the lemma's inequality on random near-teacher probes."""

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import featlearn
from featlearn.diagnostics import check_probes, descent_direction, descent_fraction, descent_target, local_probes
from diag_helpers import orthonormal_teacher, separated_teacher


def rot(w, t, deg):
    th = math.radians(deg)
    return math.cos(th) * np.asarray(w) + math.sin(th) * np.asarray(t)


@pytest.fixture(scope="module")
def hand_built():
    t = orthonormal_teacher(4, [1.0, -2.0], seed=0)
    W = np.asarray(t.W)
    e = np.linalg.svd(W)[2][-1]  # ⊥ both teachers
    dirs = np.stack([rot(W[0], W[1], 1.0), rot(W[0], e, 1.0), -rot(W[1], W[0], 1.0), e])
    mu = np.array([0.2, 0.6, 1.0, 0.1])
    a = np.array([1.0, 1.0, -1.0, 1.0]) * np.sqrt(mu)
    return t, featlearn.Params(jnp.asarray(a), jnp.asarray(np.sqrt(mu)[:, None] * dirs))


def test_target_by_hand(hand_built):
    t, net = hand_built
    W = np.asarray(t.W)
    tgt = descent_target(net, t, "relu_trim", delta_deg=5.0)
    # q = (0.25, 0.75) for teacher 0; q = 1 for teacher 1 (neuron near −w*_1: even, stays on its side)
    np.testing.assert_allclose(tgt.a, [0.5, math.sqrt(0.75), -math.sqrt(2.0), 0.0], atol=1e-14)
    np.testing.assert_allclose(tgt.W, np.stack([0.5 * W[0], math.sqrt(0.75) * W[0], -math.sqrt(2.0) * W[1],
                                                np.zeros(4)]), atol=1e-14)
    odd = descent_target(net, t, "relu", delta_deg=5.0)  # relu is not even: the neuron at −w*_1 is far
    np.testing.assert_allclose(odd.a[2], 0.0)
    np.testing.assert_allclose(odd.W[2], 0.0)


def test_check_values(hand_built):
    t, net = hand_built
    lam = 3e-3
    chk = descent_direction(net, t, "relu_trim", lam, delta_deg=5.0)
    # θ̃ reproduces the teacher exactly and is balanced: L(θ̃) = 0, weight decay λ Σ|a*_i|
    assert float(chk.target_loss) == pytest.approx(lam * 3.0, rel=1e-12)
    # the inner product is the directional derivative of L_λ along θ − θ̃ (central difference)
    f = jax.jit(lambda s: featlearn.regularised_population_loss(
        jax.tree.map(lambda x, y: x + s * (x - y), net, chk.target), t, "relu_trim", lam))
    h = 1e-5
    fd = (float(f(h)) - float(f(-h))) / (2 * h)
    assert float(chk.inner) == pytest.approx(fd, rel=1e-7)
    assert bool(chk.in_regime) and bool(chk.holds)
    assert float(chk.ratio) == pytest.approx(float(chk.inner) / float(chk.loss - chk.target_loss))


def test_head_target_is_optimal_head(hand_built):
    t, net = hand_built
    optimal_head = jax.jit(featlearn.optimal_head, static_argnums=2)
    net = optimal_head(net, t, "relu")
    chk = descent_direction(net, t, "relu", 1e-3, delta_deg=5.0)
    expected = optimal_head(chk.target._replace(c=None, v=None), t, "relu")
    np.testing.assert_allclose(chk.target.c, expected.c, atol=1e-14)
    np.testing.assert_allclose(chk.target.v, expected.v, atol=1e-14)


def test_probe_generator():
    t = separated_teacher(5, 2, seed=0, min_angle_deg=60, a_star=[1.0, -0.5])
    p = local_probes(t, jax.random.PRNGKey(0), 64, even=True, neurons_per_teacher=3, max_angle_deg=5.0,
                     n_far=2, far_mass=1e-2, mass_jitter=0.3)
    assert p.a.shape == (64, 8) and p.W.shape == (64, 8, 5)
    r = np.linalg.norm(np.asarray(p.W), axis=2)
    np.testing.assert_allclose(np.abs(np.asarray(p.a)), r, rtol=1e-12)  # balanced by default
    U = np.asarray(p.W) / r[..., None]
    Ws = np.asarray(t.W)
    ang = np.degrees(np.arccos(np.clip(np.abs(np.einsum("pjd,jd->pj", U[:, :6], np.repeat(Ws, 3, axis=0))), -1, 1)))
    assert ang.max() <= 5.0 + 1e-9
    mu = np.abs(np.asarray(p.a)) * r
    per_teacher = mu[:, :6].reshape(64, 2, 3).sum(axis=2)
    assert np.all(np.abs(per_teacher / np.array([1.0, 0.5]) - 1.0) <= 0.3 + 1e-12)
    assert np.all(mu[:, 6:] <= 1e-2)
    np.testing.assert_array_equal(np.sign(np.asarray(p.a[:, :6])), np.tile(np.repeat([1.0, -1.0], 3), (64, 1)))


CASES = [
    ("relu_trim", orthonormal_teacher(20, [1.0, -1.0, 1.0], seed=0)),
    ("relu_trim", separated_teacher(5, 2, seed=1, min_angle_deg=60, a_star=[1.0, -1.0])),
    ("abs", separated_teacher(8, 3, seed=2, min_angle_deg=60, a_star=[1.0, -1.0, 0.7])),
    ("relu", separated_teacher(8, 3, seed=3, min_angle_deg=60, even=False, a_star=[-1.0, 1.0, 1.0])),
]


@pytest.mark.parametrize("activation,teacher", CASES[:1])
@pytest.mark.parametrize("lam", [1e-2, 3e-3])
def test_lemma_on_local_probes(activation, teacher, lam):
    """≥ 100 probes within 5°: in the regime, ⟨∇L_λ, θ − θ̃⟩ > 0 and ≥ L_λ(θ) − L_λ(θ̃) on every probe."""
    even = featlearn.diagnostics.feature_kernel(activation).even
    probes = local_probes(teacher, jax.random.PRNGKey(11), 128, even=even, max_angle_deg=5.0)
    c = check_probes(probes, teacher, activation, lam, delta_deg=5.0)
    reg = np.asarray(c.in_regime)
    assert reg.mean() >= 0.5  # the check is not vacuous
    assert np.all(np.asarray(c.inner)[reg] > 0)
    assert np.all(np.asarray(c.holds)[reg])
    assert np.asarray(c.ratio)[reg].min() >= 1.0


@pytest.mark.slow
@pytest.mark.parametrize("activation,teacher", CASES)
@pytest.mark.parametrize("lam", [1e-2, 3e-3])
def test_lemma_on_local_probes_many(activation, teacher, lam):
    even = featlearn.diagnostics.feature_kernel(activation).even
    probes = local_probes(teacher, jax.random.PRNGKey(12), 1000, even=even, max_angle_deg=5.0)
    c = check_probes(probes, teacher, activation, lam, delta_deg=5.0)
    reg = np.asarray(c.in_regime)
    assert reg.mean() >= 0.5
    assert np.all(np.asarray(c.holds)[reg])


def test_descent_fraction_report():
    t = CASES[0][1]
    fr = descent_fraction(t, "relu_trim", jax.random.PRNGKey(0), lams=(1e-2, 3e-3), angles_deg=(2.0, 20.0), n_probes=128)
    assert fr.frac_in_regime.shape == (2, 2) and fr.min_ratio.shape == (2, 2)
    for x in (fr.frac_in_regime, fr.frac_inner_positive, fr.frac_inner_positive_all, fr.frac_holds):
        assert np.all((x >= 0) & (x <= 1))
    assert np.all(fr.frac_holds == 1.0) and np.all(fr.min_ratio >= 1.0)


@pytest.mark.slow
def test_imbalance_weakens_the_inequality():
    """Documented behaviour: unbalanced neurons (|a_j| ≠ ‖w_j‖) can violate the ratio ≥ 1 at small λ,
    while the inner product stays positive in the regime."""
    t = CASES[2][1]
    probes = local_probes(t, jax.random.PRNGKey(1), 400, even=True, max_angle_deg=2.0, imbalance=0.3)
    c = check_probes(probes, t, "abs", 3e-3, delta_deg=2.0)
    reg = np.asarray(c.in_regime)
    assert np.all(np.asarray(c.inner)[reg] > 0)
    assert np.asarray(c.ratio)[reg].min() < 1.0
