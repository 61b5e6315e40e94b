"""The gradient_flow stage (diffrax): GD converges to it as the step shrinks (Euler's first order, an
independent reference for the integrated flow), it recovers the teacher on an annealed schedule, and an
interval the solver cannot finish is a diverged run with a message, not a crash."""

from __future__ import annotations

import numpy as np
import pytest

import featlearn

BASE = {"teacher": {"d": 5, "m_star": 2}, "student": {"m": 8}, "log_every": 10}
START = [{"kind": "one_step"}, {"kind": "fit_second_layer", "balance": False}]


def _flat(r):
    return np.concatenate([np.asarray(r.params.a), np.asarray(r.params.W).ravel()])


def test_gd_converges_to_the_flow_at_first_order(tmp_path):
    """Fixed λ = 1e-3 for flow time T = 20 from the same start: GD with step h is Euler's method for the
    flow, so ‖θ_GD(h) − θ_flow‖ ∝ h: halving h halves the distance."""
    flow = featlearn.run({**BASE, "name": "flow", "stages": START + [
        {"kind": "gradient_flow", "lam0": 1e-3, "factor": 1.0, "epochs": 1, "steps_per_epoch": 10, "dt": 2.0,
         "rtol": 1e-10, "atol": 1e-12}]})
    start = featlearn.run({**BASE, "name": "start", "stages": START})
    dist = {}
    for h in (0.1, 0.05):
        gd = featlearn.run({**BASE, "name": "gd", "stages": START + [
            {"kind": "gd", "lr": h, "lam": 1e-3, "steps": int(round(20 / h))}]})
        dist[h] = np.linalg.norm(_flat(gd) - _flat(flow))
    moved = np.linalg.norm(_flat(flow) - _flat(start))
    assert moved > 1e-2  # the flow went somewhere
    assert dist[0.1] < 0.1 * moved
    assert dist[0.1] / dist[0.05] == pytest.approx(2.0, rel=0.1)
    assert flow.summary.stages[2]["lam_end"] == pytest.approx(1e-3) and flow.summary.stages[2]["steps"] == 10


def test_annealed_flow_recovers_the_teacher(tmp_path):
    r = featlearn.run({**BASE, "name": "flow", "log_every": 20, "stages": START[:1] + [{"kind": "fit_second_layer"},
                       {"kind": "gradient_flow", "epochs": 10, "steps_per_epoch": 20, "dt": 50.0}]}, out=tmp_path)
    s = r.summary
    assert s.status == "ok" and s.recovered, s.recovery_note
    assert s.certificate_lambda == pytest.approx(1e-3 * 0.7**9)
    assert featlearn.load_run(r.out_dir).metrics["stage"].str.endswith("gradient_flow").any()


def test_an_interval_the_solver_cannot_finish_is_reported():
    r = featlearn.run({**BASE, "name": "stiff", "stages": START + [
        {"kind": "gradient_flow", "epochs": 1, "steps_per_epoch": 2, "dt": 1e3, "max_solver_steps": 2}]})
    assert r.summary.status == "diverged"
    assert "gradient_flow" in r.summary.message


def test_an_interrupted_flow_resumes_to_the_uninterrupted_result(tmp_path):
    """Interrupted inside the gradient_flow stage (a KeyboardInterrupt from the progress callback after a
    checkpoint), `resume=True` continues from the last checkpoint and ends bit-identical to a run that was
    never interrupted: the flow's state is the parameters alone, so epoch and interval boundaries resume."""
    cfg = {**BASE, "name": "flow", "log_every": 5, "checkpoint_every": 5, "stages": START + [
        {"kind": "gradient_flow", "epochs": 3, "steps_per_epoch": 10, "dt": 20.0}]}
    whole = featlearn.run(cfg, out=tmp_path / "whole", progress=False)

    def interrupt(stage, index, step, total, loss, lam):
        if index == 2 and step >= 15:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        featlearn.run(cfg, out=tmp_path / "cut", progress=interrupt)
    run_dir = next((tmp_path / "cut").iterdir())
    assert (run_dir / "checkpoint.npz").exists() and not (run_dir / "summary.json").exists()
    seen = []
    again = featlearn.run(cfg, out=tmp_path / "cut", resume=True, progress=lambda *a: seen.append((a[1], a[2])))
    assert seen[0][0] == 2 and seen[0][1] > 10, seen[:3]  # it continued inside the flow stage, not from the start
    np.testing.assert_array_equal(np.asarray(again.params.W), np.asarray(whole.params.W))
    np.testing.assert_array_equal(np.asarray(again.params.a), np.asarray(whole.params.a))
    assert again.metrics["step"].tolist() == whole.metrics["step"].tolist()
    assert again.summary.final_population_loss == whole.summary.final_population_loss


@pytest.mark.slow
def test_flow_on_the_default_problem_reaches_the_gd_end_state():
    """The default run with its anneal stage replaced by the gradient flow on the same λ schedule (flow time
    per epoch = lr × steps_per_epoch) recovers the teacher (δ = 2°, tol 1e-3) at the loss GD reaches."""
    gd = featlearn.run({}, progress=False)
    anneal = gd.config.stages[2]
    flow_stage = {"kind": "gradient_flow", "lam0": anneal.lam0, "factor": anneal.factor, "epochs": anneal.epochs,
                  "steps_per_epoch": 20, "dt": float(gd.summary.stages[2]["lr"]) * anneal.steps_per_epoch / 20}
    stages = [s.model_dump() for s in gd.config.stages[:2]] + [flow_stage]
    flow = featlearn.run({"stages": stages}, progress=False)
    assert gd.summary.recovered and flow.summary.recovered, flow.summary.recovery_note
    assert flow.summary.final_population_loss == pytest.approx(gd.summary.final_population_loss, rel=0.05)
