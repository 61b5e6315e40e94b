"""Sweep figures: pure functions of the results table (mean, spread over seeds and other axes, log scales)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from featlearn.report.sweep_plots import axis_summary, metrics_vs_axis, status_counts


@pytest.fixture
def results():
    rows = []
    for lam in (1e-4, 1e-3, 1e-2):
        for act in ("relu", "abs"):
            for seed in range(3):
                failed = (lam, act, seed) == (1e-2, "abs", 2)
                loss = lam * 10.0 ** (-seed)
                rows.append({"stages.2.lam0": lam, "teacher.activation": act, "seed": seed, "status": "failed" if failed else "ok",
                             "final_population_loss": None if failed else loss, "far_mass": None if failed else 0.5 * loss,
                             "recovered": None if failed else seed == 0, "max_angle_deg": None if failed else float(seed),
                             "metrics.mass_tol": 1e-3, "metrics.delta_deg": 2.0})
    return pd.DataFrame(rows)


def test_axis_summary_is_over_seeds_and_the_other_axes(results):
    st = axis_summary(results, "stages.2.lam0", "final_population_loss")
    assert st["value"].tolist() == [1e-4, 1e-3, 1e-2] and st["n"].tolist() == [6, 6, 5]  # the failed run is left out
    np.testing.assert_allclose(st["min"], [1e-6, 1e-5, 1e-4])
    np.testing.assert_allclose(st["max"], [1e-4, 1e-3, 1e-2])
    np.testing.assert_allclose(st["mean"].iloc[0], 1e-4 * (1 + 0.1 + 0.01) / 3)
    np.testing.assert_allclose(st["gmean"].iloc[0], 1e-5)
    rec = axis_summary(results, "teacher.activation", "recovered")
    assert rec["value"].tolist() == ["relu", "abs"] and rec["mean"].tolist() == pytest.approx([1 / 3, 3 / 8])
    assert status_counts(results) == {"ok": 17, "diverged": 0, "failed": 1}


def test_figure_has_a_labelled_panel_per_metric_with_log_losses(results):
    metrics = ["final_population_loss", "far_mass", "recovered", "max_angle_deg"]
    fig = metrics_vs_axis(results, "stages.2.lam0", metrics)
    assert isinstance(fig, Figure)
    axes = [ax for ax in fig.axes if ax.get_visible()]
    assert len(axes) == 4
    assert [ax.get_yscale() for ax in axes] == ["log", "log", "linear", "linear"]
    assert axes[0].get_xscale() == "log"  # λ spans two decades
    assert all(ax.get_xlabel() == "stages.2.lam0" and ax.get_ylabel() for ax in axes)
    assert axes[2].get_ylim() == pytest.approx((-0.05, 1.05))
    cat = metrics_vs_axis(results, "teacher.activation", metrics[:3])
    assert [t.get_text() for t in cat.axes[0].get_xticklabels()] == ["relu", "abs"]
    assert not cat.axes[3].get_visible()
