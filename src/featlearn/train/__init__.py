"""Training: initialisations, stages, the compiled loop and `run`."""

from featlearn.train.run import RunResult, run, run_seeds

__all__ = ["RunResult", "run", "run_seeds"]
