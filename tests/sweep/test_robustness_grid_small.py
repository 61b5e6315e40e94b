"""The robustness grid at CI size: five of its points (every activation, both data modes, both dtypes,
random directions with m* > d, m* up to 6) on a short annealing schedule, through the sweep runner.
Every point ends with status ok, the population points recover the teacher and the empirical points
report their train and test loss. The full grid (40 points, the shipped schedule) is the slow test
`test_robustness_grid.py`."""

from __future__ import annotations

import dataclasses

import pytest

from featlearn.config.yaml_io import SHIPPED
from featlearn.sweep import load_sweep, run_sweep

POINTS = [2, 3, 11, 31, 38]  # relu ×2 (one with m* = 6 > d = 5), relu_trim, erf, abs


@pytest.fixture(scope="module")
def small_grid(tmp_path_factory):
    spec = load_sweep(SHIPPED / "sweeps" / "robustness.yaml")
    zips = tuple({k: [v[i] for i in POINTS] for k, v in group.items()} for group in spec.zips)
    base = dict(spec.base, stages=[{"kind": "one_step"}, {"kind": "fit_second_layer"},
                                   {"kind": "anneal_weight_decay", "lam0": 1e-3, "factor": 0.5, "epochs": 10, "steps_per_epoch": 1000}])
    small = dataclasses.replace(spec, name="robustness-small", base=base, zips=zips)
    return run_sweep(small, out=tmp_path_factory.mktemp("robustness-small")).results


def test_covers_every_activation_mode_and_dtype(small_grid):
    df = small_grid
    assert set(df["teacher.activation"]) == {"relu", "abs", "relu_trim", "erf"}
    assert set(df["data.mode"]) == {"population", "empirical"} and set(df["dtype"]) == {"float64", "float32"}
    assert (df["teacher.m_star"] > df["teacher.d"]).any()


def test_every_point_is_ok_and_reports_its_losses(small_grid):
    df = small_grid
    cols = ["teacher.activation", "student.m", "teacher.d", "teacher.m_star", "data.mode", "dtype", "status", "message"]
    assert (df["status"] == "ok").all(), df[cols].to_string()
    assert df["final_population_loss"].notna().all() and (df["final_population_loss"] >= 0).all()
    emp = df[df["data.mode"] == "empirical"]
    assert len(emp) >= 2 and emp["train_loss"].notna().all() and emp["test_loss"].notna().all()


def test_population_points_recover(small_grid):
    df = small_grid
    pop = df[df["data.mode"] == "population"]
    cols = ["teacher.activation", "student.m", "teacher.d", "teacher.m_star", "dtype", "recovered", "far_mass", "max_angle_deg"]
    assert len(pop) >= 2 and pop["recovered"].astype(bool).all(), pop[cols].to_string()
