"""Fixtures of the reliability tests: the in-process CLI driver and an uninterrupted reference run."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from reliability_helpers import RESUME, only_run_dir

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
