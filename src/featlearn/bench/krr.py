"""P6 (DESIGN §5): NTK kernel ridge regression at n = 20000, d = 100 — peak memory and wall time.

Goal: fit + predict in ≤ 60 s with a peak resident-set increase ≤ 4 GB (the n×n float64 Gram matrix
alone is 3.2 GB, so it is assembled blockwise into one Fortran-ordered array and factored in place).

Memory is measured as the peak RSS (psutil, a sampler thread every 5 ms) during fit + predict, minus the
RSS just before fit; the process-lifetime peak (`resource.getrusage().ru_maxrss`) is reported too.
`--quick` uses n = 4000.

Run:  featlearn bench --only P6   (or python benchmarks/bench_p6_krr.py [--quick])
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import resource
import sys
import threading
import time

import jax
import numpy as np

try:
    import psutil
except ImportError:  # pragma: no cover - fall back to /proc on Linux
    psutil = None

from featlearn.data import sample_data
from featlearn.model import Params
from featlearn.teacher import make_teacher
from featlearn.baselines import NTKRegressor, mc_test_risk

GB = 1e9
GOAL_SECONDS = 60.0
GOAL_GB = 4.0


def current_rss() -> int:
    """Resident set size of this process in bytes (psutil, else /proc/self/statm)."""
    if psutil is not None:
        return psutil.Process().memory_info().rss
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize()


class PeakRSS:
    """Context manager sampling this process's RSS in a background thread; `.peak` in bytes."""

    def __init__(self, interval: float = 0.005):
        self.interval = interval
        self.peak = 0
        self._stop = threading.Event()

    def _run(self):
        while not self._stop.is_set():
            self.peak = max(self.peak, current_rss())
            self._stop.wait(self.interval)

    def __enter__(self):
        self.start = current_rss()
        self.peak = self.start
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, current_rss())


def run_p6(quick: bool = False, *, d: int = 100, n_test: int = 5000, alpha: float = 1e-3, seed: int = 0) -> dict:
    """Fit `NTKRegressor(kernel="ntk")` on n samples of a d = 100, m* = 5 ReLU teacher; time and measure memory.

    Args:
      quick: n = 4000 instead of 20000.
      d, n_test, alpha, seed: problem size, test points, ridge (scikit-learn convention), seed.

    Returns:
      dict with n, d, n_test, fit_seconds (assemble / factor / solve split), predict_seconds,
      wall_seconds (fit + predict), cpu_seconds (process CPU time over the same span: with other jobs on the
      machine, wall time grows but this does not), load_average_1min, peak_rss_increase_gb,
      process_peak_rss_gb, cond_estimate, jitter,
      test_risk ± test_risk_se (½E[(f̂ − f*)²] on the n_test points), null_risk (of f̂ = 0), and the goals.
    """
    n = 4000 if quick else 20000
    key = jax.random.PRNGKey(seed)
    k_t, k_train, k_test = jax.random.split(key, 3)
    teacher = make_teacher(d, 5, k_t, a_star="alternating")
    X, y = sample_data(teacher, "relu", n, k_train)
    X, y = np.asarray(X), np.asarray(y)
    model = NTKRegressor(alpha=alpha, kernel="ntk", block_size=512)
    gc.collect()
    cpu0 = resource.getrusage(resource.RUSAGE_SELF)
    with PeakRSS() as mem:
        t0 = time.perf_counter()
        model.fit(X, y)
        t1 = time.perf_counter()
        risk = mc_test_risk(model.predict, teacher, "relu", n_test, k_test)
        t2 = time.perf_counter()
    cpu1 = resource.getrusage(resource.RUSAGE_SELF)
    null = mc_test_risk(lambda Z: np.zeros(len(Z)), teacher, "relu", n_test, k_test)
    wall = t2 - t0
    inc_gb = (mem.peak - mem.start) / GB
    return {
        "n": n,
        "d": d,
        "n_test": n_test,
        "alpha": alpha,
        "fit_seconds": t1 - t0,
        **{k: v for k, v in model.fit_info_.items() if k.endswith("seconds")},
        "predict_seconds": t2 - t1,
        "wall_seconds": wall,
        "cpu_seconds": (cpu1.ru_utime - cpu0.ru_utime) + (cpu1.ru_stime - cpu0.ru_stime),
        "load_average_1min": os.getloadavg()[0],
        "cpu_count": os.cpu_count(),
        "peak_rss_increase_gb": inc_gb,
        "process_peak_rss_gb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / GB,
        "gram_matrix_gb": n * n * 8 / GB,
        "cond_estimate": model.fit_info_["cond_estimate"],
        "jitter": model.fit_info_["jitter"],
        "test_risk": risk.estimate,
        "test_risk_se": risk.standard_error,
        "null_risk": null.estimate,
        "goal_seconds": GOAL_SECONDS,
        "goal_gb": GOAL_GB,
        "pass_seconds": wall <= GOAL_SECONDS,
        "pass_memory": inc_gb <= GOAL_GB,
    }


def p6(quick: bool = False) -> dict:
    """The P6 figures for `featlearn bench`."""
    r = run_p6(quick)
    return {"P6_seconds": r["wall_seconds"], "P6_peak_gb": r["peak_rss_increase_gb"], "P6_n": r["n"],
            "P6_test_risk": r["test_risk"], "P6_cpu_seconds": r["cpu_seconds"]}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="n = 4000 instead of 20000")
    args = parser.parse_args(argv)
    json.dump(run_p6(quick=args.quick), sys.stdout, indent=2)
    print()
