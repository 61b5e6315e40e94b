"""Alignment metrics (DESIGN §1.7) on hand-built networks with known answers."""

import json
import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import featlearn
from featlearn.diagnostics import alignment
from diag_helpers import orthonormal_teacher, split_network


def rotate(w, t, deg):
    """Unit vector at `deg` degrees from unit w towards unit t ⊥ w."""
    th = math.radians(deg)
    return math.cos(th) * np.asarray(w) + math.sin(th) * np.asarray(t)


@pytest.fixture
def teacher():
    return orthonormal_teacher(6, [1.0, -2.0, 0.5], seed=1)


def test_split_teacher_copy(teacher):
    fr = [[0.5, 0.5], [0.2, 0.3, 0.5], [1.0]]
    net = split_network(teacher, np.abs(np.asarray(teacher.a)), fr)
    al = alignment(net, teacher, "relu_trim")
    np.testing.assert_allclose(al.per_teacher_signed_mass, [1.0, -2.0, 0.5], atol=1e-14)
    np.testing.assert_array_equal(al.per_teacher_count, [2, 3, 1])
    np.testing.assert_array_equal(al.nearest, [0, 0, 1, 1, 1, 2])
    assert float(al.far_mass) == 0.0
    assert float(al.max_angle_deg) < 1e-6
    assert float(al.recovery_error) < 1e-12
    assert bool(al.recovered)
    np.testing.assert_allclose(al.subspace_fraction, 1.0, atol=1e-14)
    mu = np.array([0.5, 0.5, 0.4, 0.6, 1.0, 0.5])
    np.testing.assert_allclose(al.mass, mu, atol=1e-14)
    assert float(al.effective_neurons) == pytest.approx(mu.sum() ** 2 / (mu**2).sum(), rel=1e-12)


def test_far_neuron_and_known_angles(teacher):
    W = np.asarray(teacher.W)
    e_perp = np.linalg.svd(W)[2][-1]  # a unit vector orthogonal to every teacher
    a = [1.0, 1.0, 0.2]
    dirs = [rotate(W[0], W[1], 1.5), rotate(W[2], W[0], 3.0), e_perp]
    mus = [1.0, 0.5, 0.04]
    net = featlearn.Params(jnp.asarray(np.sign(a) * np.sqrt(mus)), jnp.asarray(np.sqrt(mus)[:, None] * np.array(dirs)))
    al = alignment(net, teacher, "relu_trim", delta_deg=2.0, mass_tol=1e-3)
    np.testing.assert_allclose(al.angle_deg[:2], [1.5, 3.0], atol=1e-10)
    np.testing.assert_array_equal(al.near, [True, False, False])
    assert float(al.far_mass) == pytest.approx(0.5 + 0.04, abs=1e-14)
    np.testing.assert_allclose(al.per_teacher_signed_mass, [1.0, 0.0, 0.0], atol=1e-14)
    assert float(al.max_angle_deg) == pytest.approx(90.0, abs=1e-10)  # the far neuron is massive
    np.testing.assert_allclose(al.subspace_fraction, [1.0, 1.0, 0.0], atol=1e-12)
    assert not bool(al.recovered)
    expected_err = abs(1.0 - 1.0) + 2.0 + 0.5 + 1.0 * math.radians(1.5) ** 2 + 0.54
    assert float(al.recovery_error) == pytest.approx(expected_err, rel=1e-12)
    with_wide = alignment(net, teacher, "relu_trim", delta_deg=5.0)
    np.testing.assert_allclose(with_wide.per_teacher_signed_mass, [1.0, 0.0, 0.5], atol=1e-14)
    assert float(with_wide.far_mass) == pytest.approx(0.04, abs=1e-14)


def test_tiny_far_mass_is_tolerated(teacher):
    net = split_network(teacher, np.abs(np.asarray(teacher.a)), [[1.0], [1.0], [1.0]])
    e_perp = np.linalg.svd(np.asarray(teacher.W))[2][-1]
    tiny = 1e-4
    net = featlearn.Params(jnp.append(net.a, math.sqrt(tiny)), jnp.vstack([net.W, math.sqrt(tiny) * e_perp]))
    al = alignment(net, teacher, "relu_trim", mass_tol=1e-3)
    assert float(al.far_mass) == pytest.approx(tiny)
    assert float(al.max_angle_deg) < 1e-6  # the far neuron is not massive
    assert bool(al.recovered)
    assert not bool(alignment(net, teacher, "relu_trim", mass_tol=1e-5).recovered)


@pytest.mark.parametrize("activation,head,even", [("relu_trim", False, True), ("abs", False, True),
                                                  ("relu", True, True), ("relu", False, False)])
def test_antipodal_neurons(teacher, activation, head, even):
    # teacher 1 (a* = −2) carried by one neuron at +w*1 and one at −w*1, both with a < 0
    W = np.asarray(teacher.W)
    net = featlearn.Params(jnp.asarray([1.0, -1.0, -1.0, math.sqrt(0.5)]),
                           jnp.asarray(np.stack([W[0], W[1], -rotate(W[1], W[2], 1.0), math.sqrt(0.5) * W[2]])))
    if head:
        net = featlearn.optimal_head(net, teacher, activation)
    al = alignment(net, teacher, activation)
    if even:
        np.testing.assert_allclose(al.per_teacher_signed_mass, [1.0, -2.0, 0.5], atol=1e-14)
        assert float(al.angle_deg[2]) == pytest.approx(1.0, abs=1e-10)
        assert float(al.cosine[2, 1]) == pytest.approx(math.cos(math.radians(1.0)), abs=1e-14)
        assert float(al.far_mass) == 0.0
        assert bool(al.recovered)  # 1° ≤ δ = 2° and every signed mass is exact
        narrow = alignment(net, teacher, activation, delta_deg=0.5)
        assert not bool(narrow.recovered) and float(narrow.far_mass) == pytest.approx(1.0)
    else:
        assert float(al.far_mass) == pytest.approx(1.0)
        np.testing.assert_allclose(al.per_teacher_signed_mass, [1.0, -1.0, 0.5], atol=1e-14)
        assert float(al.angle_deg[2]) > 90.0 - 1e-9


def test_summary_is_plain_json(teacher):
    net = featlearn.Params(jnp.zeros(2), jnp.zeros((2, 6)))
    al = alignment(net, teacher, "relu_trim")
    s = al.to_summary()
    json.dumps(s, allow_nan=False)
    assert s["recovered"] is False and s["max_angle_deg"] is None
    assert [p["index"] for p in s["per_teacher"]] == [0, 1, 2]
    assert s["per_teacher"][1] == {"index": 1, "a_star": -2.0, "signed_mass": 0.0, "n_neurons": 0, "max_angle_deg": None}
    assert float(al.effective_neurons) == 0.0


def test_jit_matches_eager(teacher):
    key = jax.random.PRNGKey(0)
    net = featlearn.Params(jax.random.normal(key, (7,)), jnp.repeat(teacher.W, 3, axis=0)[:7] + 0.01)
    eager = alignment(net, teacher, "abs")
    jitted = jax.jit(alignment, static_argnums=2)(net, teacher, "abs")
    for x, y in zip(jax.tree.leaves(eager), jax.tree.leaves(jitted)):
        np.testing.assert_allclose(np.asarray(x), np.asarray(y), rtol=1e-12)


def _erf_radial_reference(r, head):
    """κ(r) = E[σ(rz)σ(z)] / E[σ(z)²], z ~ N(0, 1), by 1-D Gauss–Hermite quadrature (numpy, 200 nodes);
    under a head σ is erf(·/√2) minus its Hermite order 1 (order 0 is zero: erf is odd)."""
    from scipy.special import erf

    z, wq = np.polynomial.hermite_e.hermegauss(200)
    wq = wq / wq.sum()

    def feat(s):
        f = erf(s * z / math.sqrt(2.0))
        return f - (wq @ (f * z)) * z if head else f

    return (wq @ (feat(r) * feat(1.0))) / (wq @ (feat(1.0) ** 2))


@pytest.mark.parametrize("head", [False, True])
def test_erf_weight_uses_the_radial_coefficient(head):
    from featlearn.diagnostics.features import feature_kernel

    fk = feature_kernel("erf", head)
    r = jnp.asarray([0.0, 0.3, 0.9976, 1.0, 2.5])
    ref = [_erf_radial_reference(float(x), head) for x in r]
    np.testing.assert_allclose(fk.radial(r), ref, rtol=1e-10, atol=1e-13)
    assert feature_kernel("relu_trim", head).radial(r) is r  # homogeneous: κ(r) = r


def test_odd_activation_counts_antipodal_neurons_with_flipped_sign(teacher):
    # erf is odd: (a, −w*) is the feature (−a, w*). Teacher 1 (a* = −2) split as −1 at +w*1 and +1 at −w*1.
    W = np.asarray(teacher.W)
    net = featlearn.Params(jnp.asarray([1.0, -1.0, 1.0, 0.5]), jnp.asarray(np.stack([W[0], W[1], -W[1], W[2]])))
    al = alignment(net, teacher, "erf")
    np.testing.assert_allclose(al.per_teacher_signed_mass, [1.0, -2.0, 0.5], atol=1e-14)
    assert float(al.far_mass) == 0.0 and bool(al.recovered)
    # the same student under relu (neither even nor odd) has mass at −w*1 far from every teacher
    assert not bool(alignment(net, teacher, "relu").recovered)
    # a wrong sign at the antipode is not the teacher's feature
    bad = net._replace(a=jnp.asarray([1.0, -1.0, -1.0, 0.5]))
    al = alignment(bad, teacher, "erf")
    np.testing.assert_allclose(al.per_teacher_signed_mass, [1.0, 0.0, 0.5], atol=1e-14)
    assert not bool(al.recovered)


def test_shortfall_names_each_reason(teacher):
    """`Alignment.shortfall` says why a network is not recovered: a shrunk mass (the λ bias), a teacher
    with no neuron, far mass, a neuron beyond δ; None when recovered."""
    exact = split_network(teacher, [1.0, 2.0, 0.5], [[1.0], [1.0], [1.0]])
    assert alignment(exact, teacher, "relu_trim").shortfall() is None
    shrunk = split_network(teacher, [0.997, 2.0, 0.5], [[1.0], [1.0], [1.0]])
    note = alignment(shrunk, teacher, "relu_trim").shortfall()
    assert note.startswith("teacher 0: mass off by up to 3.0e-03 > 0.001") and "weight-decay bias" in note
    grown = split_network(teacher, [1.003, 2.0, 0.5], [[1.0], [1.0], [1.0]])
    assert "weight-decay bias" not in alignment(grown, teacher, "relu_trim").shortfall()
    missing = split_network(teacher, [1.0, 2.0, 0.5], [[1.0], [1.0], []])
    assert alignment(missing, teacher, "relu_trim").shortfall().startswith("teacher 2 has no neuron within 2°")
    far = jnp.asarray(np.eye(6)[5])  # a neuron at 90° from every teacher, mass 0.01
    extra = featlearn.Params(jnp.concatenate([exact.a, jnp.array([0.1])]), jnp.concatenate([exact.W, 0.1 * far[None]]))
    assert alignment(extra, teacher, "relu_trim").shortfall().startswith("far mass 1.00e-02 > 0.001")
    w0 = np.asarray(teacher.W[0])
    t = np.eye(6)[5] - np.dot(np.eye(6)[5], w0) * w0
    tilted = featlearn.Params(exact.a, exact.W.at[0].set(jnp.asarray(rotate(w0, t / np.linalg.norm(t), 1.5))))
    note = alignment(tilted, teacher, "relu_trim", delta_deg=1.0).shortfall()
    assert "teacher 0 has no neuron within 1°" in note and "far mass" in note
    note = alignment(tilted, teacher, "relu_trim", delta_deg=2.0).shortfall()
    assert note is None
