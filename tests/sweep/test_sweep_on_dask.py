"""Sweeps on a real Dask scheduler with worker processes on 127.0.0.1 (`--scheduler`), and a worker that is
killed while it runs a task: the scheduler reschedules it and the sweep completes every run."""

from __future__ import annotations

import threading

import pandas as pd
import pytest
from distributed import Client

import featlearn.train
from featlearn.cli.main import main
from featlearn.sweep import expand, load_sweep
from sweep_helpers import wait_until, write_sweep


def _not_here(*args, **kwargs):
    raise AssertionError("a run executed in the client process instead of on a Dask worker")


def _check_results(out, name, n):
    df = pd.read_parquet(out / name / "results.parquet")
    assert len(df) == n and df["config_digest"].is_unique
    assert (df["status"] == "ok").all(), df[["status", "message"]]
    return df


def test_sweep_on_a_scheduler_with_two_worker_processes(scheduler, workers, tmp_path, monkeypatch):
    monkeypatch.setattr(featlearn.train, "run", _not_here)  # runs must happen in the workers
    sweep = write_sweep(tmp_path / "d.yaml", {"stages.2.lam0": [1e-3, 3e-3]}, name="d")
    out = tmp_path / "out"
    with pytest.raises(SystemExit) as exc:
        main(["sweep", str(sweep), "--scheduler", scheduler, "--out", str(out), "--quiet"])
    assert exc.value.code == 0
    df = _check_results(out, "d", 2)
    assert set(df["config_digest"]) == {p.digest for p in expand(load_sweep(sweep))}
    assert df["point"].tolist() == [0, 1] and df["stages.2.lam0"].tolist() == [1e-3, 3e-3]
    assert (out / "d" / "report.html").is_file() and len(list((out / "d" / "runs").glob("*/final.npz"))) == 2


def test_a_killed_worker_has_its_task_rescheduled(scheduler, workers, tmp_path, monkeypatch):
    """Comes last among the tests that share the module's two workers: it kills one of them mid-task."""
    monkeypatch.setattr(featlearn.train, "run", _not_here)
    sweep = write_sweep(tmp_path / "k.yaml", {"seed": [0, 1]}, name="k")
    out = tmp_path / "out"
    addr = workers.addresses
    with Client(scheduler, timeout=30, set_as_default=False) as client:
        codes = []

        def sweep_main():
            try:
                main(["sweep", str(sweep), "--scheduler", scheduler, "--out", str(out), "--quiet"])
            except SystemExit as e:
                codes.append(e.code)
            except BaseException as e:  # pragma: no cover - reported below
                codes.append(e)

        thread = threading.Thread(target=sweep_main, daemon=True)
        thread.start()

        def a_worker_running_a_task():
            busy = client.run(lambda dask_worker: len(dask_worker.state.executing), workers=list(addr.values()))
            return next((name for name, a in addr.items() if busy.get(a, 0) >= 1), None)

        victim = wait_until(a_worker_running_a_task, 120, 0.1, "a worker to run a task")
        workers.procs[victim].kill()
        workers.procs[victim].wait(timeout=10)
        thread.join(timeout=240)
        assert not thread.is_alive(), "the sweep did not finish after a worker was killed"
    assert codes == [0]
    survivor = "w1" if victim == "w0" else "w0"
    assert workers.procs[survivor].poll() is None  # the other worker did the rest
    _check_results(out, "k", 2)


@pytest.mark.slow
def test_local_cluster_with_workers(tmp_path):
    """`--workers N`: a dask.distributed LocalCluster of N worker processes, started and closed by the sweep."""
    sweep = write_sweep(tmp_path / "l.yaml", {"seed": [0, 1]}, name="l")
    with pytest.raises(SystemExit) as exc:
        main(["sweep", str(sweep), "--workers", "2", "--out", str(tmp_path / "out"), "--quiet", "--batch-seeds"])
    assert exc.value.code == 0
    _check_results(tmp_path / "out", "l", 2)
