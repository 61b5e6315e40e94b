"""`featlearn run --resume` after a `kill -9` part-way through a stage ends with the same summary (apart from
timings), the same metrics and an identical final.npz as an uninterrupted run in another process."""

from __future__ import annotations

import signal
import subprocess
import sys
import time

import numpy as np
import pandas as pd
import pytest

from reliability_helpers import RESUME, featlearn_subprocess, only_run_dir, read_summary, strip_timings
from featlearn.io import load_npz


def _mid_stage_checkpoint(out, min_step: int):
    """(stage_index, step) of a checkpoint taken inside stage 2 at step ≥ min_step, else None."""
    found = list(out.glob("*/checkpoint.npz"))
    if not found:
        return None
    try:
        z = load_npz(found[0])
    except Exception:  # replaced while we read it: atomic writes make the next read whole
        return None
    carry = sorted((k for k in z if k.startswith("carry_")), key=lambda k: int(k.split("_")[1]))
    if int(z["stage_index"]) != 2 or not carry:
        return None
    step = int(z[carry[-2]].max())  # the carry's leaves end with (k, status)
    return (2, step) if step >= min_step else None


def test_kill_then_resume_equals_uninterrupted(tmp_path, reference_run):
    out = tmp_path / "runs"
    proc = subprocess.Popen([sys.executable, "-m", "featlearn", "run", "--quiet", "--out", str(out), *RESUME], cwd=tmp_path,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 300
    try:
        while proc.poll() is None and time.monotonic() < deadline:
            if _mid_stage_checkpoint(out, min_step=300):
                proc.send_signal(signal.SIGKILL)
                break
            time.sleep(0.01)
    finally:
        if proc.poll() is None and time.monotonic() >= deadline:
            proc.kill()
        proc.wait()
    if proc.returncode == 0:  # pragma: no cover - the machine was too fast for the poll
        pytest.fail("the run finished before it could be killed part-way; make stage 2 longer")
    assert proc.returncode == -signal.SIGKILL, proc.stderr.read()
    killed_at = _mid_stage_checkpoint(out, min_step=300)
    assert killed_at is not None and killed_at[1] < 2000, killed_at
    run_dir = only_run_dir(out)
    assert not (run_dir / "summary.json").exists() and not (run_dir / "final.npz").exists()

    r = featlearn_subprocess(["run", "--quiet", "--resume", "--out", out, *RESUME], cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "Traceback" not in r.stderr
    assert only_run_dir(out) == run_dir and run_dir.name == reference_run.name
    assert not list(run_dir.glob(".*.tmp"))

    assert strip_timings(read_summary(run_dir)) == strip_timings(read_summary(reference_run))
    ref, got = load_npz(reference_run / "final.npz"), load_npz(run_dir / "final.npz")
    assert sorted(ref) == sorted(got)
    for k in ref:
        np.testing.assert_array_equal(got[k], ref[k], err_msg=k)
    m_ref = pd.read_parquet(reference_run / "metrics.parquet").drop(columns="wall_seconds")
    m_got = pd.read_parquet(run_dir / "metrics.parquet").drop(columns="wall_seconds")
    pd.testing.assert_frame_equal(m_got, m_ref, check_exact=True)
    assert (run_dir / "config.yaml").read_text() == (reference_run / "config.yaml").read_text()
    # the trajectory survives the kill: its snapshots so far travel in the checkpoint
    t_ref, t_got = load_npz(reference_run / "trajectory.npz"), load_npz(run_dir / "trajectory.npz")
    assert sorted(t_ref) == sorted(t_got) and len(t_ref["step"]) > 5
    for k in t_ref:
        np.testing.assert_array_equal(t_got[k], t_ref[k], err_msg=k)
