"""Where a sweep's runs execute: in this process, or on Dask (a local cluster or an existing scheduler).

A task is one grid point (or, with batched seeds, the points that differ only in seed). Every executor
runs `execute(configs, runs_dir, ...)`, which calls `featlearn.train.run(config_dict, out=runs_dir)` and
returns the summaries; only plain data (config dicts, paths, summary dicts) crosses process boundaries.
A run that raises is recorded as "failed" (summary.json with its message, error.txt with the
traceback) and does not stop the sweep. On Dask, a task whose worker dies is rescheduled by the
scheduler (up to `distributed.scheduler.allowed-failures` times, default 3) and a task that errors
outside the run is retried (`retries`); if it is still lost, its runs are recorded as failed.
"""

from __future__ import annotations

import contextlib
import os
import re
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Optional, Sequence

from featlearn.config import ConfigError

# Environment of the worker processes of a local Dask cluster (set before JAX starts there).
WORKER_ENV = {"JAX_PLATFORMS": "cpu", "JAX_ENABLE_X64": "1"}


@dataclass(frozen=True)
class Task:
    """Grid points run together: one point, or (batched seeds) points that differ only in `seed`."""

    indices: tuple  # positions in the sweep's list of points
    configs: tuple  # resolved configs as plain dicts
    batch: bool = False


@contextlib.contextmanager
def compile_cache(path: Optional[str]):
    """Use JAX's persistent compilation cache at `path` while inside (unless one is configured already).

    Every run builds fresh jitted functions, so without it each run of a sweep compiles again; with it,
    runs of one shape (and every worker) load the compiled code. The cache holds executable code: keep it
    in a folder only you can write (by default it lies in the sweep's output folder)."""
    import jax

    if not path or jax.config.jax_compilation_cache_dir:
        yield
        return
    from jax.experimental.compilation_cache import compilation_cache as cc

    prev_time = jax.config.jax_persistent_cache_min_compile_time_secs
    Path(path).mkdir(parents=True, exist_ok=True)
    jax.config.update("jax_compilation_cache_dir", str(path))
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
    try:
        yield
    finally:
        jax.config.update("jax_compilation_cache_dir", None)
        jax.config.update("jax_persistent_cache_min_compile_time_secs", prev_time)
        cc.reset_cache()


def _setup_worker(jax_cache: Optional[str]) -> None:
    """In a Dask worker: JAX on the CPU, float64, and the shared compilation cache (kept for later tasks)."""
    os.environ.setdefault("JAX_PLATFORMS", "cpu")
    import jax

    if jax.config.jax_platforms != "cpu":
        with contextlib.suppress(Exception):
            jax.config.update("jax_platforms", "cpu")
    jax.config.update("jax_enable_x64", True)
    if jax_cache and not jax.config.jax_compilation_cache_dir:
        Path(jax_cache).mkdir(parents=True, exist_ok=True)
        jax.config.update("jax_compilation_cache_dir", str(jax_cache))
        jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)


def execute(configs: Sequence[dict], runs_dir: str, batch: bool = False, jax_cache: Optional[str] = None, worker: bool = False,
            writer=None) -> list[dict]:
    """Run configs (plain dicts) into `runs_dir`; return their summary dicts. A batch (configs equal but
    for the seed) runs as one `run_seeds` call that writes every seed's run directory. A run that raises
    is recorded as failed; a batch that raises falls back to one run per config, so each failure is its own."""
    import featlearn.train as train
    from featlearn.config import validate
    from featlearn.sweep.cache import record_failure

    if worker:
        _setup_worker(jax_cache)
        cache = contextlib.nullcontext()
    else:
        cache = compile_cache(jax_cache)
    with cache:
        if batch and len(configs) > 1:
            cfgs = [validate(c) for c in configs]
            try:
                return [r.summary.to_dict() for r in train.run_seeds(cfgs[0], [c.seed for c in cfgs], out=runs_dir, writer=writer)]
            except Exception:  # noqa: BLE001 - rerun one by one: each run records its own error
                pass
        out = []
        for c in configs:
            t0 = time.perf_counter()
            try:
                out.append(train.run(c, out=runs_dir, writer=writer).summary.to_dict())
            except Exception as exc:  # noqa: BLE001 - a failing run is recorded and the sweep goes on
                out.append(record_failure(runs_dir, c, exc, time.perf_counter() - t0))
        return out


class InProcessExecutor:
    """Runs the tasks one after another in this process."""

    description = "in-process"

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def map(self, tasks: Sequence[Task], runs_dir: Path, jax_cache: Optional[str] = None, writer=None) -> Iterator[tuple[Task, object]]:
        """Yield (task, list of summaries) as tasks finish."""
        with compile_cache(jax_cache):
            for t in tasks:
                yield t, execute(list(t.configs), str(runs_dir), t.batch, writer=writer)


_ADDRESS = re.compile(r"^(tcp|tls|ucx|ws|wss|inproc)://\S+$")


class DaskExecutor:
    """Runs the tasks on Dask: a `LocalCluster` of `workers` processes (one thread each), or the
    existing scheduler at `scheduler` (its workers must be able to import featlearn and to write to the
    sweep's output folder, e.g. a shared file system)."""

    def __init__(self, *, workers: Optional[int] = None, scheduler: Optional[str] = None, retries: int = 2, timeout: float = 30.0,
                 dashboard: bool = False):
        if (workers is None) == (scheduler is None):
            raise ConfigError("--workers / --scheduler: give exactly one of them (a worker count, or an address tcp://HOST:PORT)")
        if workers is not None and (not isinstance(workers, int) or workers < 1):
            raise ConfigError(f"--workers: expected a positive number of worker processes, got {workers!r}")
        if scheduler is not None and not _ADDRESS.match(scheduler):
            raise ConfigError(f"--scheduler: expected a scheduler address like tcp://HOST:PORT, got {scheduler!r}")
        self.workers, self.scheduler, self.retries, self.timeout = workers, scheduler, retries, timeout
        self.dashboard = dashboard  # local cluster only: the dashboard on 127.0.0.1 (no authentication), else off
        self.cluster = self.client = None

    @property
    def description(self) -> str:
        return f"dask scheduler {self.scheduler}" if self.scheduler else f"dask local cluster, {self.workers} workers"

    def __enter__(self):
        from distributed import Client, LocalCluster

        if self.scheduler:
            try:
                self.client = Client(self.scheduler, timeout=self.timeout, set_as_default=False)
            except (OSError, TimeoutError) as exc:
                raise ConfigError(f"--scheduler: cannot connect to {self.scheduler} within {self.timeout:g} s ({type(exc).__name__})") from None
        else:
            self.cluster = LocalCluster(n_workers=self.workers, threads_per_worker=1, processes=True, host="127.0.0.1",
                                        dashboard_address="127.0.0.1:0" if self.dashboard else None, env=dict(WORKER_ENV))
            self.client = Client(self.cluster, set_as_default=False)
            if self.dashboard:
                import sys

                print(f"dask dashboard (no authentication, this machine only): {self.client.dashboard_link}", file=sys.stderr)
        return self

    def __exit__(self, *exc):
        if self.client is not None:
            self.client.close()
        if self.cluster is not None:
            self.cluster.close()
        self.client = self.cluster = None
        return False

    def map(self, tasks: Sequence[Task], runs_dir: Path, jax_cache: Optional[str] = None, writer=None) -> Iterator[tuple[Task, object]]:
        """Yield (task, list of summaries) or (task, exception) as tasks finish, in completion order."""
        from distributed import as_completed

        tag = uuid.uuid4().hex[:8]
        futures = {}
        for t in tasks:
            key = f"featlearn-run-{t.configs[0]['name']}-{t.indices[0]}-{tag}"
            fut = self.client.submit(execute, list(t.configs), str(Path(runs_dir).resolve()), t.batch, jax_cache, True, writer,
                                     key=key, pure=False, retries=self.retries)
            futures[fut] = t
        for fut in as_completed(list(futures), loop=self.client.loop):
            t = futures.pop(fut)
            try:
                yield t, fut.result()
            except Exception as exc:  # noqa: BLE001 - a lost task (KilledWorker, cancelled): recorded as failed
                yield t, exc
            fut.release()


__all__ = ["DaskExecutor", "InProcessExecutor", "Task", "WORKER_ENV", "compile_cache", "execute"]
