"""Sweeps (DESIGN §4.4, §6): grid expansion, the cache by digest, executors (in-process, Dask), batched seeds."""

from featlearn.sweep.executors import DaskExecutor, InProcessExecutor
from featlearn.sweep.grid import GridPoint, SweepSpec, expand, load_sweep, parse_sweep
from featlearn.sweep.sweep import Sweep, SweepResult, load_sweep_dir, load_sweep_folder, run_sweep

__all__ = ["DaskExecutor", "GridPoint", "InProcessExecutor", "Sweep", "SweepResult", "load_sweep_dir", "SweepSpec", "expand", "load_sweep", "load_sweep_folder", "parse_sweep", "run_sweep"]
