"""featlearn: how gradient descent learns features in two-layer networks (Zhou & Ge, NeurIPS 2024).

Float64 is switched on at import (set the environment variable JAX_ENABLE_X64=0 before importing to
keep JAX's float32 default), and so is JAX's persistent compilation cache in ~/.cache/featlearn/jax
(`featlearn._cache`: FEATLEARN_COMPILE_CACHE=0 turns it off; a cache directory of your own is kept).
"""

import os as _os

import jax as _jax

from featlearn._version import __version__
from featlearn import _cache

if _os.environ.get("JAX_ENABLE_X64", "1").lower() not in ("0", "false"):
    _jax.config.update("jax_enable_x64", True)
_cache.enable(_jax)

from featlearn.data import sample_data  # noqa: E402
from featlearn.gaussian import kernel  # noqa: E402
from featlearn.model import Params, balance, forward, mass  # noqa: E402
from featlearn.objective import (  # noqa: E402
    empirical_loss,
    optimal_head,
    population_loss,
    regularised_empirical_loss,
    regularised_population_loss,
)
from featlearn.teacher import make_teacher  # noqa: E402
from featlearn.config import RunConfig, load_config  # noqa: E402
from featlearn.diagnostics import (  # noqa: E402
    alignment,
    certificate_sup,
    descent_direction,
    dual_certificate,
    empirical_certificate,
    hessian_spectrum,
)
from featlearn.train import RunResult, load_run  # noqa: E402
from featlearn.workflows import run, run_seeds  # noqa: E402


def __getattr__(name: str):
    """`featlearn.plot`, `load_sweep` and `load_experiment` are imported on first use (matplotlib, the
    sweep and experiment packages stay out of `import featlearn`)."""
    if name == "plot":
        import importlib

        return importlib.import_module("featlearn.plot")
    if name == "load_sweep":
        from featlearn.sweep.sweep import load_sweep_dir

        return load_sweep_dir
    if name == "load_experiment":
        from featlearn.experiments.base import load_experiment

        return load_experiment
    raise AttributeError(f"module 'featlearn' has no attribute {name!r}")


__all__ = [
    "Params",
    "RunConfig",
    "RunResult",
    "__version__",
    "alignment",
    "balance",
    "certificate_sup",
    "descent_direction",
    "dual_certificate",
    "empirical_certificate",
    "hessian_spectrum",
    "empirical_loss",
    "forward",
    "kernel",
    "load_experiment",
    "load_run",
    "load_sweep",
    "load_config",
    "make_teacher",
    "mass",
    "optimal_head",
    "plot",
    "population_loss",
    "regularised_empirical_loss",
    "regularised_population_loss",
    "run",
    "run_seeds",
    "sample_data",
]
