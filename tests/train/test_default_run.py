"""Acceptance of the built-in default run (DESIGN §2, issue 'Training')."""

import json

import numpy as np
import pytest

import featlearn
from featlearn.config import RunConfig, load_config
from featlearn.io import load_npz
from featlearn import run


@pytest.fixture(scope="module")
def default_run(tmp_path_factory):
    return run(None, out=tmp_path_factory.mktemp("runs"))


def test_default_run_recovers_the_teacher(default_run):
    s = default_run.summary
    assert s["status"] == "ok"
    assert s["final_population_loss"] <= 1e-8
    assert s["recovered"] is True
    assert s["far_mass"] <= 1e-3 and s["max_angle_deg"] <= 2.0
    for t in s["per_teacher"]:
        assert abs(t["signed_mass"] - t["a_star"]) <= 1e-3


def test_default_run_loss_is_exact_population_loss_of_final_network(default_run):
    p = default_run.params
    L = float(featlearn.population_loss(p, default_run.teacher, "relu_trim"))
    assert L == pytest.approx(default_run.summary["final_population_loss"], rel=1e-10)


def test_run_directory_contract(default_run):
    d = default_run.out_dir
    for name in ("config.yaml", "summary.json", "metrics.parquet", "final.npz", "checkpoint.npz", "report.html"):
        assert (d / name).is_file(), name
    assert list((d / "figures").glob("*.png"))
    summary = json.loads((d / "summary.json").read_text())
    for key in ("status", "final_population_loss", "recovered", "max_angle_deg", "far_mass", "per_teacher",
                "certificate_sup", "stages", "wall_seconds", "config_digest", "featlearn_version"):
        assert key in summary, key
    assert d.name == f"default-{summary['config_digest'][:10]}"
    cols = set(default_run.metrics.columns)
    assert {"step", "stage", "lam", "population_loss", "reg_loss", "far_mass", "max_angle_deg", "grad_norm", "wall_seconds"} <= cols
    z = load_npz(d / "final.npz")
    assert set(z) == {"a", "W", "teacher_a", "teacher_W"}
    np.testing.assert_array_equal(z["W"], np.asarray(default_run.params.W))
    # the resolved config on disk reads back to the same config
    assert load_config(d / "config.yaml") == default_run.config


def test_shipped_default_yaml_is_the_builtin_default():
    assert load_config("default") == RunConfig()


def test_stage_two_reaches_threshold_and_anneal_decreases_loss(default_run):
    stages = default_run.summary["stages"]
    assert [s["name"] for s in stages] == ["one_step", "fit_second_layer", "anneal_weight_decay"]
    assert stages[1]["below_threshold"] is True
    assert stages[2]["end_loss"] < 1e-4 * stages[2]["start_loss"]


def test_default_run_passes_the_global_optimality_check(default_run):
    s = default_run.summary
    # The empirical certificate of the final network at the last λ: ≤ 1 + 1e-3 (DESIGN §1.5).
    assert s["certificate_lambda"] == pytest.approx(1e-3 * 0.7**15)
    assert s["certificate_sup"] <= 1 + 1e-3
    assert s["certificate_sup"] >= 1 - 1e-3  # attained on the support


def test_polish_after_the_default_run_reaches_a_strict_minimum_modulo_symmetries(default_run):
    """Issue 'Gradient flow, exact critical points': Newton from the default run's end point to
    ‖∇L_λ‖ ≤ 1e-12; the end state is still the recovered one, and the Hessian's zero eigenvalues are
    exactly the mass splits of the neurons on each teacher (the run itself ends short of critical)."""
    import jax

    from featlearn.config.stages import Polish, final_weight_decay
    from featlearn.diagnostics.critical import critical_point
    from featlearn.train.problem import Problem, Static
    from featlearn.train.stages.polish import polish

    r = default_run
    lam = final_weight_decay(r.config.stages)
    assert r.summary["critical_point"]["verdict"] == "not critical"  # GD stops at ‖∇L_λ‖ ≈ 1e-8
    static = Static.from_config(r.config)
    q, info = jax.jit(lambda p: polish(p, Problem(r.teacher, jax.random.PRNGKey(0)), static, Polish(lam=lam)))(r.params)
    assert float(info["grad_norm"]) <= 1e-12 and int(info["iterations"]) <= 20
    cp = critical_point(q, r.teacher, "relu_trim", lam)
    assert cp.verdict == "minimum", cp
    assert cp.n_negative == 0 and cp.n_zero == cp.predicted_flat == 64 - 3  # relu_trim is even: ±w*_i is one cluster
    al = featlearn.alignment(q, r.teacher, "relu_trim")
    assert al.recovered and float(featlearn.population_loss(q, r.teacher, "relu_trim")) <= r.summary["final_population_loss"] * (1 + 1e-6)
