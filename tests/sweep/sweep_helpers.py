"""Helpers of the sweep tests: the shipped tiny sweep, sweep files, processes and bounded waits."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import yaml

SMALL = Path(__file__).resolve().parents[2] / "src" / "featlearn" / "configs" / "sweeps" / "small.yaml"


def write_sweep(path: Path, grid: dict, **extra) -> Path:
    """A sweep file with the small example's base config and the given grid."""
    base = yaml.safe_load(SMALL.read_text())["base"]
    path.write_text(yaml.safe_dump({"name": extra.pop("name", "t"), "base": base, "grid": grid, **extra}, sort_keys=False))
    return path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def child_env() -> dict:
    env = dict(os.environ)
    env.update(JAX_PLATFORMS="cpu", PYTHONUNBUFFERED="1")
    return env


def stop(proc: subprocess.Popen, timeout: float = 10.0) -> None:
    """Kill one process we started (by its handle) and reap it, bounded."""
    if proc.poll() is None:
        proc.kill()
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:  # pragma: no cover
        pass


def wait_until(predicate, timeout: float, interval: float = 0.1, what: str = "condition"):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise TimeoutError(f"timed out after {timeout:g} s waiting for {what}")


class Workers:
    """`dask worker` processes (no nanny: a killed worker stays dead), by name."""

    def __init__(self, address: str, logdir: Path, env: dict | None = None):
        self.address, self.logdir, self.procs, self.addresses = address, logdir, {}, {}
        self.env = {**child_env(), **(env or {})}

    def start(self, name: str) -> subprocess.Popen:
        with open(self.logdir / f"{name}.log", "wb") as log:
            proc = subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_worker", self.address, "--nthreads", "1", "--nworkers", "1",
                                     "--no-nanny", "--no-dashboard", "--name", name, "--local-directory", str(self.logdir / name)],
                                    stdout=log, stderr=subprocess.STDOUT, env=self.env)
        self.procs[name] = proc
        return proc

    def wait(self, client, n: int, timeout: float = 90) -> dict:
        """Wait until `n` of our workers are connected; returns name -> worker address."""
        def ready():
            for name, p in self.procs.items():
                if p.poll() is not None:
                    raise RuntimeError(f"worker {name} exited: {(self.logdir / f'{name}.log').read_text()[-2000:]}")
            info = client.scheduler_info(n_workers=-1)["workers"]
            by_name = {w["name"]: addr for addr, w in info.items() if w["name"] in self.procs}
            return by_name if len(by_name) >= n else None

        return wait_until(ready, timeout, 0.3, f"{n} dask workers")

    def stop_all(self):
        for p in self.procs.values():
            stop(p)


