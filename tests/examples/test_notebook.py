"""examples/notebook.py (the README's "Results in Python"): makes a run, a sweep and an experiment,
loads each back and draws figures with featlearn.plot; and the loaders refuse malformed folders."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import featlearn
from featlearn.config import ConfigError

ROOT = Path(__file__).resolve().parents[2]


def test_notebook_script_loads_and_plots(tmp_path):
    """In CI; E2's claims at size small are checked here (tests/experiments runs the other experiments)."""
    p = subprocess.run([sys.executable, str(ROOT / "examples" / "notebook.py"), "--quick", "--out", str(tmp_path)],
                       capture_output=True, text=True, timeout=900)
    assert p.returncode == 0, p.stderr[-3000:]
    assert p.stdout.count("E2 PASS") == 3 and "FAIL" not in p.stdout and "sweep point 0" in p.stdout
    figs = sorted(x.name for x in (tmp_path / "figures").glob("*.png"))
    assert figs == ["experiment_far_mass.png", "run_loss.png", "run_planes_early.png", "sweep_loss.png"]
    assert all((tmp_path / "figures" / f).stat().st_size > 10_000 for f in figs)
    # what it loaded is what is on disk
    sweep = featlearn.load_sweep(tmp_path / "sweeps" / "small")
    assert len(sweep.results) == 2 and len(sweep.runs) == 2 and repr(sweep.runs).endswith("0 loaded)")
    r = sweep.run(1)
    assert r.summary.status == "ok" and r.config.stages[2].lam0 == 3e-3 and repr(sweep.runs).endswith("1 loaded)")
    exp = featlearn.load_experiment(tmp_path / "experiments" / "E2-small")
    assert exp.id == "E2" and exp.passed and len(exp.claims) == 3 and len(exp.runs) >= 2 and exp.figures


def test_loaders_refuse_malformed_folders_with_one_line(tmp_path):
    with pytest.raises(ConfigError, match=r"is not a sweep folder \(missing sweep.yaml\)"):
        featlearn.load_sweep(tmp_path)
    with pytest.raises(ConfigError, match=r"is not an experiment folder \(missing claims.json\)"):
        featlearn.load_experiment(tmp_path)
    (tmp_path / "claims.json").write_text(json.dumps([1, 2]))
    (tmp_path / "results.parquet").write_bytes(b"")
    with pytest.raises(ConfigError, match=r"claims.json is not a featlearn claims file") as exc:
        featlearn.load_experiment(tmp_path)
    assert "\n" not in str(exc.value)
    with pytest.raises(ConfigError, match="is not a finished run directory"):
        featlearn.load_run(tmp_path)
