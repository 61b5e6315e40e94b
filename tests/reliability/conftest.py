"""Shared helpers of the reliability tests: the in-process CLI driver, small run sizes, a reference run."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

# A small run (d=6, m*=2, m=8) that still goes through all three default stages.
SMALL = [
    "--set", "teacher.d=6", "--set", "teacher.m_star=2", "--set", "teacher.a_star=[1,-1]", "--set", "student.m=8",
    "--set", "stages.2.epochs=2", "--set", "stages.2.steps_per_epoch=300", "--set", "log_every=50", "--set", "checkpoint_every=100",
]
# Long enough in stage 2 (2000 steps, a checkpoint every 50) for a kill part-way through it.
RESUME = [
    "--set", "teacher.d=6", "--set", "teacher.m_star=2", "--set", "teacher.a_star=[1,-1]", "--set", "student.m=8",
    "--set", "stages.2.epochs=4", "--set", "stages.2.steps_per_epoch=500", "--set", "log_every=10", "--set", "checkpoint_every=50",
]
TIMINGS = ("wall_seconds",)


@dataclass
class CliResult:
    code: int
    out: str
    err: str


@pytest.fixture
def cli(capsys, tmp_path, monkeypatch):
    """Run `featlearn.cli.main.main(argv)` in-process (cwd = a fresh folder); returns exit code, stdout, stderr."""
    from featlearn.cli.main import main

    monkeypatch.chdir(tmp_path)

    def call(argv) -> CliResult:
        capsys.readouterr()
        try:
            main([str(a) for a in argv])
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        captured = capsys.readouterr()
        return CliResult(code, captured.out, captured.err)

    return call


def featlearn_subprocess(args, cwd, timeout=300, **kw):
    """`python -m featlearn ARGS` in a real child process."""
    return subprocess.run([sys.executable, "-m", "featlearn", *map(str, args)], cwd=cwd, capture_output=True, text=True,
                          timeout=timeout, **kw)


def strip_timings(summary: dict) -> dict:
    """summary.json without its timings (wall_seconds, stages[].seconds)."""
    s = {k: v for k, v in summary.items() if k not in TIMINGS}
    s["stages"] = [{k: v for k, v in st.items() if k != "seconds"} for st in summary["stages"]]
    return s


def only_run_dir(out: Path) -> Path:
    dirs = [p for p in Path(out).iterdir() if p.is_dir()]
    assert len(dirs) == 1, dirs
    return dirs[0]


def read_summary(run_dir: Path) -> dict:
    return json.loads((Path(run_dir) / "summary.json").read_text())


@pytest.fixture(scope="session", autouse=True)
def _reference_process(request, tmp_path_factory):
    """Start the reference run in a child process as soon as the session starts (when a selected test needs it),
    so that it overlaps with the in-process tests."""
    if not any("reference_run" in getattr(item, "fixturenames", ()) for item in request.session.items):
        yield None
        return
    out = tmp_path_factory.mktemp("reference")
    proc = subprocess.Popen([sys.executable, "-m", "featlearn", "run", "--quiet", "--out", str(out / "runs"), *RESUME], cwd=out,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    yield proc, out
    if proc.poll() is None:
        proc.kill()
        proc.wait()


@pytest.fixture(scope="session")
def reference_run(_reference_process) -> Path:
    """An uninterrupted `python -m featlearn run --quiet` of the RESUME config, in its own process."""
    proc, out = _reference_process
    _, err = proc.communicate(timeout=600)
    assert proc.returncode == 0, err
    return only_run_dir(out / "runs")
