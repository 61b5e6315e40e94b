"""Critical points of L_λ (DESIGN §7.6): the flat directions the symmetries predict, the verdict, and a
designed saddle that `polish` converges to and the record calls a saddle, with its negative curvature
checked by finite differences of the closed-form loss (not by the Hessian code under test)."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import featlearn
from featlearn.config.stages import Polish
from featlearn.diagnostics.critical import classify, critical_point, predicted_flat
from featlearn.model import Params
from featlearn.objective import population_loss, weight_decay
from featlearn.train.problem import Problem, Static
from featlearn.train.stages.polish import polish


def _net(rows, a):
    return Params(a=jnp.asarray(a, float), W=jnp.asarray(rows, float))


def test_predicted_flat_counts_splits_and_rescalings():
    e1, e2 = np.eye(3)[0], np.eye(3)[1]
    # three neurons on e1 (one mirrored, with twice the norm), one on e2, one with zero mass
    net = _net([e1, -2 * e1, 0.5 * e1, e2, e2], [1.0, 0.3, -0.2, 1.0, 0.0])
    assert predicted_flat(net, "relu_trim", 1e-3) == 2  # even σ: ±e1 is one cluster of 3 → 2 splits; e2 alone
    assert predicted_flat(net, "relu_trim", 0.0) == 5 + 1  # 2·3 − 1 and 2·1 − 1
    assert predicted_flat(net, "relu", 1e-3) == 1  # relu is not even: e1 and 0.5·e1 only
    # not homogeneous: only equal rows share a feature, and only without weight decay
    net = _net([e1, e1, 2 * e1, -e1], [1.0, 0.5, 1.0, 1.0])
    assert predicted_flat(net, "erf", 0.0) == 2  # erf is odd: e1, e1, −e1
    assert predicted_flat(net, "erf", 1e-3) == 0


def test_verdicts():
    ev = np.array([-1e-3, 0.0, 1.0])
    assert classify(1e-6, ev, 1, 0.0).verdict == "not critical"
    assert classify(1e-13, ev, 1, 0.0).verdict == "saddle"
    cp = classify(1e-13, np.array([1e-14, 2e-3, 1.0]), 1, 0.0)
    assert (cp.verdict, cp.n_negative, cp.n_zero, cp.n_positive) == ("minimum", 0, 1, 2)
    assert classify(1e-13, np.array([1e-14, -1e-14, 1.0]), 1, 0.0).verdict == "degenerate"
    assert classify(1e-5, np.array([1.0]), 0, 0.0, "float32").verdict == "minimum"  # float32's tolerance


@pytest.mark.parametrize("lam", [0.0, 1e-3])
def test_one_neuron_between_two_teachers_is_a_saddle(lam):
    """Teacher a* = (1, 1) on e1, e2; σ = relu_trim; one student neuron started on the bisector. By the
    symmetry e1 ↔ e2 Newton stays on the bisector and converges to a critical point there; moving the
    neuron towards either teacher lowers L_λ, so it is a saddle with one negative eigenvalue, whose
    eigenvector turns w in the teacher plane."""
    d = 3
    teacher = _net(np.eye(d)[:2], [1.0, 1.0])
    static = Static("relu_trim", "population", False, 1, d, 0.0, 2.0, 1e-3)
    q, info = jax.jit(lambda p: polish(p, Problem(teacher, jax.random.PRNGKey(0)), static, Polish(lam=lam)))(
        _net([[0.8, 0.8, 0.0]], [1.0]))
    assert float(info["grad_norm"]) <= 1e-12
    W = np.asarray(q.W)[0]
    assert W[0] == pytest.approx(W[1], rel=1e-12) and W[2] == 0.0
    cp = critical_point(q, teacher, "relu_trim", lam)
    assert cp.verdict == "saddle" and cp.n_negative == 1, cp
    assert cp.n_zero == (1 if lam == 0 else 0) == cp.predicted_flat  # the neuron's rescaling without weight decay
    # independent check: central second difference of the fused closed-form L_λ along w ← w + t(e1 − e2)
    v = np.array([1.0, -1.0, 0.0]) / np.sqrt(2)

    def L(t):
        p = q._replace(W=q.W + t * jnp.asarray(v)[None])
        return float(population_loss(p, teacher, "relu_trim") + lam * weight_decay(p))

    h = 1e-3
    curv = (L(h) - 2 * L(0.0) + L(-h)) / h**2
    # the swap e1 ↔ e2 splits the Hessian into symmetric and antisymmetric blocks; (0, v) spans the
    # antisymmetric one, so it is the eigenvector and the second difference is the eigenvalue (to O(h²))
    assert curv < 0 and curv == pytest.approx(cp.min_eigenvalue, rel=1e-4)
    assert L(h) < L(0.0) and L(-h) < L(0.0)


def test_critical_point_of_a_run_is_in_the_summary(tmp_path):
    cfg = {"name": "cp", "teacher": {"d": 4, "m_star": 2}, "student": {"m": 8},
           "stages": [{"kind": "one_step"}, {"kind": "fit_second_layer"},
                      {"kind": "anneal_weight_decay", "epochs": 4, "steps_per_epoch": 500}, {"kind": "polish"}]}
    r = featlearn.run(cfg, out=tmp_path)
    cp = r.summary.critical_point
    assert r.config.stages[3].lam == pytest.approx(1e-3 * 0.7**3)  # polish takes the λ the annealing ended with
    assert cp["lam"] == pytest.approx(r.config.stages[3].lam) and cp["grad_norm"] <= 1e-12
    assert cp["verdict"] == "minimum" and cp["n_zero"] == cp["predicted_flat"]
    assert r.summary.stages[3]["steps"] >= 1  # Newton iterations


def test_polish_refuses_empirical_mode():
    from featlearn.config import ConfigError, load_config

    with pytest.raises(ConfigError, match=r"stages.1.kind: polish supports data.mode population, not empirical"):
        load_config(None, ["data.mode=empirical", "data.n_train=100", 'stages=[{kind: one_step}, {kind: polish}]'])


def test_benchmark_p8_times_the_same_hessian_both_ways():
    """P8 (featlearn bench --only P8) compares featlearn's Hessian with jax.hessian of the same loss; the
    two matrices must agree (no timing is asserted here: speed is the benchmark's business)."""
    from featlearn.bench.hessian import p8

    out = p8(quick=True, d=4, m=6)
    assert out["P8_relative_difference"] <= 1e-12
    assert out["P8"] > 0 and out["P8_featlearn_s"] > 0
