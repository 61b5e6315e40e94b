"""anneal_weight_decay: an epoch ends early once ‖∇L_λ‖ ≤ tol·λ (checked between chunks), and only then."""

import numpy as np
import pytest

from featlearn.config import load_config
from featlearn.train import run

SMALL = ["teacher.d=6", "teacher.m_star=2", "teacher.a_star=[1,-1]", "student.m=8",
         "stages.2.epochs=8", "stages.2.factor=0.4", "stages.2.steps_per_epoch=1000", "log_every=50"]


def _anneal(tol):
    r = run(load_config(None, SMALL + [f"stages.2.tol={tol}"]))
    assert len(r.summary.to_dict()["stages"]) == 3, (r.summary["status"], r.summary["message"], r.summary.to_dict()["stages"])
    rows = r.metrics[r.metrics["stage"] == "2:anneal_weight_decay"]
    return r, r.summary.to_dict()["stages"][2], rows


@pytest.fixture(scope="module")
def runs():
    return {tol: _anneal(tol) for tol in (0.0, 1e-3)}


def test_tol_zero_runs_every_step(runs):
    r, st, _ = runs[0.0]
    assert st["steps"] == 8000 and "scheduled" not in st


def test_converged_epochs_are_skipped_and_only_when_converged(runs):
    r, st, rows = runs[1e-3]
    assert r.summary["status"] == "ok" and r.summary["recovered"] is True
    assert st["scheduled"] == 8000 and st["steps"] < 8000
    rel = rows["step"].to_numpy() - int(rows["step"].iloc[0])  # position in the stage's schedule
    rows, rel = rows[rel > 0], rel[rel > 0]  # the first row is the stage's starting point
    epoch = (rel - 1) // 1000  # a row at k logs the step k − 1 just taken
    computed, skipped = 0, 0
    for e in range(8):
        ends = rel[epoch == e]
        end = int(ends[-1])  # a full epoch's last row is at its boundary; an epoch that stopped, before it
        computed += end - 1000 * e
        if end != 1000 * (e + 1):
            skipped += 1
            last = rows[epoch == e].iloc[-1]
            assert last["grad_norm"] <= 1e-3 * last["lam"] * (1 + 1e-12)  # the criterion held where it stopped
        else:  # every earlier chunk end of a full epoch was above the criterion
            inside = rows[(epoch == e) & (rel != 1000 * (e + 1))]
            assert (inside["grad_norm"] > 1e-3 * inside["lam"]).all()
    assert skipped >= 1
    assert st["steps"] == computed  # the stage log counts the steps computed, the metrics the schedule
