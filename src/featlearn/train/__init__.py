"""Training: initialisations, stages (one builder per registered kind), the compiled loop, the driver
and `run` / `run_seeds`."""

from featlearn.train.run import RunResult, run, run_seeds
from featlearn.train.rundir import load_run

__all__ = ["RunResult", "load_run", "run", "run_seeds"]
