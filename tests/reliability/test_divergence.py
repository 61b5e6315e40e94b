"""A too-large learning rate: the stage stops with status "diverged", summary.json says which stage and to lower
its lr, the CLI exits non-zero with one clean line, and the last finite state is kept (checkpoint and final)."""

from __future__ import annotations

import numpy as np

from reliability_helpers import SMALL, only_run_dir, read_summary
from featlearn.io import load_npz


def test_large_lr_diverges_cleanly(cli, tmp_path):
    res = cli(["run", "--quiet", "--out", tmp_path / "out", *SMALL, "--set", "stages.2.lr=1e3"])
    assert res.code == 1
    assert "Traceback" not in res.err + res.out
    err = [ln for ln in res.err.splitlines() if ln.strip()]
    assert err == ["featlearn: error: stage 2 (anneal_weight_decay) diverged: the loss or the parameters blew up (non-finite, "
                   "or the objective above 10⁴ × its start); try a smaller stages.2.lr (now 1000.0)"], res.err
    assert "status: diverged" in res.out

    run_dir = only_run_dir(tmp_path / "out")
    s = read_summary(run_dir)
    assert s["status"] == "diverged"
    assert "stage 2 (anneal_weight_decay)" in s["message"] and "smaller stages.2.lr" in s["message"]
    # the kept parameters are the last ones with a finite loss
    assert s["final_population_loss"] is not None and np.isfinite(s["final_population_loss"])
    assert [st["name"] for st in s["stages"]] == ["one_step", "fit_second_layer", "anneal_weight_decay"]
    assert s["stages"][2]["steps"] < 600

    ckpt = load_npz(run_dir / "checkpoint.npz")
    assert int(ckpt["stage_index"]) == 3
    assert int(ckpt["status"]) == 2  # DIVERGED (one checkpoint per seed)
    for name in ("a", "W"):
        assert np.all(np.isfinite(ckpt[name])), name
    final = load_npz(run_dir / "final.npz")
    for name in ("a", "W"):
        assert np.all(np.isfinite(final[name])), name
        np.testing.assert_array_equal(final[name], ckpt[name])
    for name in ("metrics.parquet", "config.yaml", "report.html"):
        assert (run_dir / name).is_file()


def test_divergence_is_per_seed_and_reported_in_the_library():
    """Through `run_seeds` (a batch of seeds, as a sweep runs them): each diverged seed's summary says so and names
    the stage's lr; its parameters and loss stay finite."""
    from featlearn.config import validate
    from featlearn.train import run_seeds

    cfg = validate({"teacher": {"d": 6, "m_star": 2, "a_star": [1, -1]}, "student": {"m": 8}, "log_every": 50, "checkpoint_every": 100,
                    "stages": [{"kind": "gd", "lr": 1e3, "lam": 1e-3, "steps": 200}]})
    results = run_seeds(cfg, [0, 1])
    for r in results:
        assert r.summary["status"] == "diverged"
        assert r.summary["message"].startswith("stage 0 (gd) diverged") and "stages.0.lr" in r.summary["message"]
        assert np.all(np.isfinite(np.asarray(r.params.W))) and np.all(np.isfinite(np.asarray(r.params.a)))
        assert np.isfinite(r.summary["final_population_loss"])
