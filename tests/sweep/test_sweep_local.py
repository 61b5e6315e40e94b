"""In-process sweeps: results.parquet, a failing run recorded and skipped over, the cache by digest after a
killed sweep, batched seeds equal to unbatched runs, and the sweep report (also via `featlearn report`)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import featlearn.train
from featlearn.cli.main import main
from featlearn.io import load_npz
from featlearn.workflows import rebuild_report as rebuild
from featlearn.sweep import expand, load_sweep, run_sweep
from sweep_helpers import SMALL, child_env, stop, wait_until, write_sweep

TIMING = {"wall_seconds", "seconds", "elapsed"}


def _ok_summaries(runs: Path) -> dict:
    out = {}
    for p in runs.glob("*/summary.json"):
        try:
            if json.loads(p.read_text())["status"] == "ok":
                out[p.parent.name] = p.stat().st_mtime_ns
        except (ValueError, KeyError, OSError):
            pass
    return out


def test_failing_run_is_recorded_and_the_sweep_goes_on(tmp_path, monkeypatch, capsys):
    sweep = write_sweep(tmp_path / "f.yaml", {"seed": [0, 1]}, name="f")
    real = featlearn.train.run

    def flaky(config, **kw):
        if config["seed"] == 1:
            raise RuntimeError("boom at seed 1")
        return real(config, **kw)

    monkeypatch.setattr(featlearn.train, "run", flaky)
    with pytest.raises(SystemExit) as exc:
        main(["sweep", str(sweep), "--out", str(tmp_path / "out"), "--quiet"])
    assert exc.value.code == 1  # some run failed
    assert "failed: runs/" in capsys.readouterr().out
    folder = tmp_path / "out" / "f"
    df = pd.read_parquet(folder / "results.parquet")
    assert df["seed"].tolist() == [0, 1] and df["status"].tolist() == ["ok", "failed"]
    assert df["message"].iloc[1] == "RuntimeError: boom at seed 1" and np.isnan(df["final_population_loss"].iloc[1])
    failed_dir = folder / df["run_dir"].iloc[1]
    summary = json.loads((failed_dir / "summary.json").read_text())
    assert summary["status"] == "failed" and summary["config_digest"] == df["config_digest"].iloc[1]
    assert "boom at seed 1" in (failed_dir / "error.txt").read_text() and (failed_dir / "config.yaml").is_file()
    assert "boom at seed 1" in (folder / "report.html").read_text()

    # Run again without the fault: only the failed point runs; the ok one comes from the cache.
    monkeypatch.setattr(featlearn.train, "run", real)
    res = run_sweep(sweep, out=tmp_path / "out")
    assert res.computed == 1 and [s["status"] for s in res.summaries] == ["ok", "ok"]


def test_killed_sweep_reruns_only_the_missing_runs(tmp_path, monkeypatch):
    sweep = write_sweep(tmp_path / "k.yaml", {"seed": [0, 1, 2]}, name="k")
    out = tmp_path / "out"
    runs = out / "k" / "runs"
    proc = subprocess.Popen([sys.executable, "-m", "featlearn", "sweep", str(sweep), "--out", str(out), "--quiet"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=child_env())
    try:
        wait_until(lambda: _ok_summaries(runs) or proc.poll() is not None, 120, 0.05, "the first finished run")
        assert proc.poll() is None, "the sweep finished before it could be killed"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
    finally:
        stop(proc)
    assert not (out / "k" / "results.parquet").exists()
    done = _ok_summaries(runs)
    assert 1 <= len(done) < 3

    calls = []
    real = featlearn.train.run
    monkeypatch.setattr(featlearn.train, "run", lambda config, **kw: calls.append(config["seed"]) or real(config, **kw))
    res = run_sweep(sweep, out=out)
    assert res.computed == len(calls) == 3 - len(done)
    after = _ok_summaries(runs)
    assert all(after[name] == mtime for name, mtime in done.items())  # finished runs were not recomputed
    df = pd.read_parquet(out / "k" / "results.parquet")
    points = expand(load_sweep(sweep))
    assert len(df) == 3 and df["config_digest"].is_unique and set(df["config_digest"]) == {p.digest for p in points}
    assert (df["status"] == "ok").all() and sorted(p.name for p in runs.iterdir()) == sorted(p.run_name for p in points)


# batched and single runs differ by rounding (1e-16) in the vmapped one-step and ridge solve, amplified by
# the ridge's condition number ‖K‖/λ₂ (≈ 1e6 at λ₂ = 1e-6): agreement to 1e-8 relative is what is exact
REL = 1e-8

def _compare(a, b, path=""):
    """Equal up to 1e-10 (relative), ignoring timings."""
    if isinstance(a, dict):
        assert set(a) == set(b), path
        for k in a:
            if k not in TIMING:
                _compare(a[k], b[k], f"{path}.{k}")
    elif isinstance(a, list):
        assert len(a) == len(b), path
        for i, (x, y) in enumerate(zip(a, b)):
            _compare(x, y, f"{path}.{i}")
    elif isinstance(a, float) and isinstance(b, float):
        assert a == pytest.approx(b, rel=REL, abs=1e-300, nan_ok=True), path
    else:
        assert a == b, path


def test_batched_seeds_equal_unbatched_runs(tmp_path, monkeypatch):
    sweep = write_sweep(tmp_path / "b.yaml", {"seed": [0, 1]}, name="b")
    plain = run_sweep(sweep, out=tmp_path / "plain")
    single, batches = [], []
    real_run, real_seeds = featlearn.train.run, featlearn.train.run_seeds
    monkeypatch.setattr(featlearn.train, "run", lambda c, **kw: single.append(c) or real_run(c, **kw))
    monkeypatch.setattr(featlearn.train, "run_seeds", lambda c, seeds, **kw: batches.append(list(seeds)) or real_seeds(c, seeds, **kw))
    batched = run_sweep(sweep, out=tmp_path / "batched", batch_seeds=True)
    assert batches == [[0, 1]] and single == []  # one vmapped computation, no fallback to single runs

    for p in plain.points:
        a, b = tmp_path / "plain" / "b" / "runs" / p.run_name, tmp_path / "batched" / "b" / "runs" / p.run_name
        assert sorted(x.relative_to(a).as_posix() for x in a.rglob("*")) == sorted(x.relative_to(b).as_posix() for x in b.rglob("*"))
        for name in ("final.npz", "init.npz"):
            za, zb = load_npz(a / name), load_npz(b / name)
            assert set(za) == set(zb)
            for k in za:
                assert za[k].shape == zb[k].shape and za[k].dtype == zb[k].dtype == np.float64
                np.testing.assert_allclose(zb[k], za[k], rtol=REL, atol=1e-14)
        sa, sb = (json.loads((d / "summary.json").read_text()) for d in (a, b))
        assert sb["final_population_loss"] == pytest.approx(sa["final_population_loss"], rel=REL)
        _compare(sa, sb)
        ma, mb = (pd.read_parquet(d / "metrics.parquet").drop(columns="wall_seconds") for d in (a, b))
        pd.testing.assert_frame_equal(ma, mb, rtol=REL, atol=1e-14)
        ca, cb = load_npz(a / "checkpoint.npz"), load_npz(b / "checkpoint.npz")
        assert set(ca) == set(cb)
        assert str(ca["config_digest"]) == str(cb["config_digest"])
        for k in set(ca) - {"elapsed", "rows_json", "stages_json", "config_digest"}:
            if ca[k].dtype.kind == "U":  # the trajectory's stage names
                np.testing.assert_array_equal(cb[k], ca[k])
            else:
                np.testing.assert_allclose(cb[k], ca[k], rtol=REL, atol=1e-14)
        ta, tb = load_npz(a / "trajectory.npz"), load_npz(b / "trajectory.npz")
        np.testing.assert_array_equal(tb["step"], ta["step"])
        np.testing.assert_allclose(tb["W"], ta["W"], rtol=REL, atol=1e-14)
        for k in ("rows_json", "stages_json"):
            _compare(json.loads(str(ca[k])), json.loads(str(cb[k])), k)
    assert batched.results["final_population_loss"].to_numpy() == pytest.approx(plain.results["final_population_loss"].to_numpy(), rel=REL)


def test_sweep_report_and_featlearn_report_rebuild(tmp_path, capsys):
    """A sweep folder (results.parquet + sweep.yaml) is rebuilt by `featlearn report DIR`; the figure per axis is drawn."""
    folder = tmp_path / "s"
    (folder / "runs").mkdir(parents=True)
    spec = load_sweep(SMALL)
    rng = np.random.default_rng(0)
    rows = []
    for p in expand(spec):
        ok = p.index != 3
        rows.append({"point": p.index, "run_dir": f"runs/{p.run_name}", "seed": p.config.seed, "stages.2.lam0": p.config.stages[2].lam0,
                     "metrics.mass_tol": 1e-3, "metrics.delta_deg": 2.0, "status": "ok" if ok else "failed",
                     "message": None if ok else "RuntimeError: x", "final_population_loss": 10 ** rng.uniform(-8, -4) if ok else None,
                     "far_mass": 10 ** rng.uniform(-4, -1) if ok else None, "recovered": bool(p.index % 2) if ok else None,
                     "max_angle_deg": rng.uniform(0, 30) if ok else None, "config_digest": p.digest})
    pd.DataFrame(rows).to_parquet(folder / "results.parquet")
    import yaml

    (folder / "sweep.yaml").write_text(yaml.safe_dump(spec.to_dict(), sort_keys=False))
    with pytest.raises(SystemExit) as exc:
        main(["report", str(folder)])
    assert exc.value.code == 0 and "report.html" in capsys.readouterr().out
    html = (folder / "report.html").read_text()
    assert "data:image/png;base64," in html and "RuntimeError: x" in html and "stages.2.lam0" in html
    assert (folder / "figures" / "metrics_vs_stages.2.lam0.png").stat().st_size > 10_000
    assert rebuild(folder) == folder / "report.html"
