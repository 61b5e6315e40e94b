"""The shipped robustness grid (40 points off the default: 4 activations, widths 16–512, d 5–100, m* 1–6,
population and empirical, float64 and float32): every point runs to status ok; every population point
whose activation is homogeneous or head-carrying recovers the teacher (δ = 2°, tol 1e-3); empirical points report their
train and test loss. Data files only (no figures), to keep the suite's time."""

from __future__ import annotations

import pandas as pd
import pytest

from featlearn.config.yaml_io import SHIPPED
from featlearn.gaussian import get_activation
from featlearn.sweep import load_sweep, run_sweep

pytestmark = pytest.mark.slow  # 40 runs of different shapes: 25–30 minutes on 2 cores


@pytest.fixture(scope="module")
def grid(tmp_path_factory):
    spec = load_sweep(SHIPPED / "sweeps" / "robustness.yaml")
    res = run_sweep(spec, out=tmp_path_factory.mktemp("robustness"))
    return spec, res.results


def _table(df: pd.DataFrame) -> str:
    cols = ["teacher.activation", "student.m", "teacher.d", "teacher.m_star", "data.mode", "dtype", "status", "recovered",
            "final_population_loss", "test_loss"]
    return df[cols].to_string(index=False)


def test_grid_has_40_points_covering_every_axis(grid):
    spec, df = grid
    assert spec.size == len(df) >= 40
    assert set(df["teacher.activation"]) == {"relu", "abs", "relu_trim", "erf"}
    assert set(df["student.m"]) == {16, 64, 128, 512} and set(df["teacher.d"]) == {5, 20, 100}
    assert set(df["teacher.m_star"]) == {1, 2, 4, 6} and set(df["dtype"]) == {"float64", "float32"}


def test_every_point_is_ok(grid):
    _, df = grid
    print("\n" + _table(df))
    assert (df["status"] == "ok").all(), _table(df[df["status"] != "ok"])


def test_population_points_recover(grid):
    _, df = grid
    # homogeneous or head-carrying (erf: orders 1 are taken by the linear head): every activation of the grid
    pop = df[(df["data.mode"] == "population") & (df["teacher.activation"].map(lambda a: get_activation(a).homogeneous) | df["student.head"].astype(bool))]
    assert len(pop) >= 15
    assert pop["recovered"].all(), _table(pop[~pop["recovered"].astype(bool)])


def test_empirical_points_report_train_and_test_loss(grid):
    _, df = grid
    emp = df[df["data.mode"] == "empirical"]
    assert len(emp) >= 8
    assert emp["train_loss"].notna().all() and emp["test_loss"].notna().all()
