"""Runs with the quadrature activations (DESIGN §7.5): the default three stages (shortened) complete with
status ok and lower the loss for tanh, gelu, softplus and he3 teachers; a Hermite-coefficient target runs;
a misspecified student (relu_trim on a tanh teacher) runs, says so in its summary and makes no
certificate claim; the config refuses what it cannot run with one line naming the field."""

from __future__ import annotations

import math

import numpy as np
import pytest

import featlearn
from featlearn.config import ConfigError, validate

SMALL = {"teacher": {"d": 4, "m_star": 2}, "student": {"m": 8}, "log_every": 50, "checkpoint_every": 300,
         "stages": [{"kind": "one_step"}, {"kind": "fit_second_layer"},
                    {"kind": "anneal_weight_decay", "epochs": 3, "steps_per_epoch": 300}]}


def _cfg(**teacher):
    return {**SMALL, "teacher": {**SMALL["teacher"], **teacher}}


@pytest.mark.parametrize("act", ["tanh", "he3", pytest.param("gelu", marks=pytest.mark.slow), pytest.param("softplus", marks=pytest.mark.slow)])
def test_default_stages_run_for_a_quadrature_teacher(act):
    r = featlearn.run(_cfg(activation=act), progress=False)
    s = r.summary
    assert s.status == "ok", s.message
    assert math.isfinite(s.final_population_loss)
    assert s.final_population_loss < s.stages[1]["start_loss"]  # the stages learned something
    assert s.misspecified is None
    assert s.certificate_sup is None  # not homogeneous: no measure-space certificate


def test_hermite_target_with_information_exponent_two():
    cfg = validate(_cfg(activation={"hermite": [0.0, 0.0, 1.0, 0.5]}))
    assert cfg.teacher.activation == "hermite(0,0,1,0.5)"
    assert featlearn.gaussian.activations.information_exponent(cfg.teacher.activation) == 2
    r = featlearn.run(cfg, progress=False)
    assert r.summary.status == "ok", r.summary.message


def test_misspecified_student_is_reported_and_gets_no_certificate():
    cfg = validate({**_cfg(activation="tanh"), "student": {"m": 8, "activation": "relu_trim"}})
    assert cfg.misspecified and cfg.student.head  # the teacher's orders 0 and 1 go to the head
    r = featlearn.run(cfg, progress=False)
    s = r.summary
    assert s.status == "ok", s.message
    assert "misspecified" in s.misspecified and "relu_trim" in s.misspecified and "tanh" in s.misspecified
    assert s.certificate_sup is None
    # relu_trim is even and tanh odd: after the head takes order 1 nothing of the teacher is reachable
    # (E[relu_trim(u·x) tanh(v·x)] = 0 for every u, v), so the loss is ½ Σ_{k≥3} (tanh's Hermite energy)
    from featlearn.gaussian import quadrature as Q

    x, w = Q.rule(200, "trapezoid")
    t = np.tanh(x)
    energy_ge3 = float(np.sum(w * t * t) - np.sum(w * t * x) ** 2)  # E[tanh²] − (order 1)²; order 0 and 2 vanish (odd σ)
    a_star = np.asarray(r.teacher.a)
    G = np.asarray(r.teacher.W) @ np.asarray(r.teacher.W).T
    # the teachers are orthonormal: their ≥3 parts are orthogonal, so the residual energy adds up
    assert np.allclose(G, np.eye(2), atol=1e-12)
    assert s.final_population_loss == pytest.approx(0.5 * energy_ge3 * float(a_star @ a_star), rel=1e-3)


@pytest.mark.parametrize("bad, field", [
    ({"teacher": {"activation": "swish"}}, "teacher.activation"),
    ({"teacher": {"activation": {"hermite": []}}}, "teacher.activation"),
    ({"teacher": {"activation": {"hermite": [0, 0]}}}, "teacher.activation"),
    ({"student": {"activation": "swish"}}, "student.activation"),
    ({"teacher": {"activation": "tanh"}, "stages": [{"kind": "anneal_weight_decay", "balance": True}]}, "balance"),
])
def test_bad_activations_are_one_line_errors_naming_the_field(bad, field):
    with pytest.raises(ConfigError) as err:
        validate(bad)
    assert field in str(err.value)
