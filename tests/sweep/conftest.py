"""Sweep test fixtures: a JAX compilation cache shared by every process of the session (this process, CLI
subprocesses and Dask workers), and a real Dask scheduler and workers started as separate processes on
127.0.0.1 (killed at teardown, every wait bounded)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from sweep_helpers import Workers, child_env, free_port, stop, wait_until


@pytest.fixture(scope="session")
def jax_cache_dir(tmp_path_factory) -> str:
    return str(tmp_path_factory.mktemp("jax-cache"))


@pytest.fixture(autouse=True)
def _shared_jax_cache(jax_cache_dir, monkeypatch):
    """Every run of the sweep tests loads compiled code from one cache (JAX compiles dominate here)."""
    monkeypatch.setenv("JAX_COMPILATION_CACHE_DIR", jax_cache_dir)
    monkeypatch.setenv("JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS", "0")


@pytest.fixture(scope="module")
def scheduler(tmp_path_factory):
    """A `dask scheduler` process on 127.0.0.1:<free port>; yields its address."""
    from distributed import Client

    logdir = tmp_path_factory.mktemp("dask-logs")
    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    with open(logdir / "scheduler.log", "wb") as log:
        proc = subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_scheduler", "--host", "127.0.0.1", "--port", str(port),
                                 "--no-dashboard"], stdout=log, stderr=subprocess.STDOUT, env=child_env())
    try:
        def up():
            if proc.poll() is not None:
                raise RuntimeError(f"the scheduler exited: {(logdir / 'scheduler.log').read_text()[-2000:]}")
            try:
                Client(address, timeout=2, set_as_default=False).close()
                return True
            except OSError:
                return False

        wait_until(up, 60, 0.3, "the scheduler")
        yield address
    finally:
        stop(proc)


@pytest.fixture(scope="module")
def workers(scheduler, tmp_path_factory, jax_cache_dir):
    """Two `dask worker` processes, w0 and w1, attached to the module's scheduler (the tests of a module
    share them; a test that kills one comes last)."""
    from distributed import Client

    logdir = tmp_path_factory.mktemp("worker-logs")
    w = Workers(scheduler, logdir, {"JAX_COMPILATION_CACHE_DIR": jax_cache_dir, "JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS": "0"})
    try:
        w.start("w0")
        w.start("w1")
        with Client(scheduler, timeout=30, set_as_default=False) as client:
            w.addresses = w.wait(client, 2)
        yield w
    finally:
        w.stop_all()
