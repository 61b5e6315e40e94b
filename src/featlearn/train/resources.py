"""Refuse what cannot fit (DESIGN §7.3): the peak memory of a run, estimated before any work.

The estimate counts the arrays of one gradient step of one seed, times the seeds vmapped together:

    population: about 8 arrays of (m + m*)² entries (cosines, kernel values and their derivatives, the
                gradient's matrix), plus the Hessian diagnostic's n² (n = m(d + 1)) when it is drawn;
    empirical:  the training set n_train·d, the pre-activations and features 4·n_train·m, the test set;
    always:     the parameters and the teacher, (m + m*)·d.

A run whose estimate exceeds the memory this machine has available is a `ConfigError` naming the
estimate (exit 2, nothing written). The estimate is deliberately rough (within a small factor); it exists
to turn an out-of-memory abort minutes in into a one-line answer at once.

Time is estimated from the step cost: a population step does two (m + m*)² × d matrix products and
about 40 elementwise passes over (m + m*)² entries; an empirical step four n_train × m × d products;
times the scheduled steps of the iterative stages and the seeds, at `NOMINAL_FLOPS` (a sustained matrix-product
rate) plus `STEP_OVERHEAD` per step. A run estimated above `LONG_RUN_SECONDS` is said once
as a warning before it starts (the progress bar then shows where it is); it is not refused.
"""

from __future__ import annotations

from featlearn.config import ConfigError, RunConfig
from featlearn.config.errors import warn

HESSIAN_LIMIT = 3000  # parameters above which the report skips the Hessian (featlearn.diagnostics.diagnose)
NOMINAL_FLOPS = 5e10  # FLOP/s assumed (about half the dgemm peak `featlearn bench` measures on 2 cores)
STEP_OVERHEAD = 1e-4  # seconds per step of small ops and dispatch (measured: 0.2 ms at m = 64, d = 20)
LONG_RUN_SECONDS = 600.0


def available_bytes() -> int:
    """Memory available to this process now (psutil), or 4 GiB when it cannot be read."""
    try:
        import psutil

        return int(psutil.virtual_memory().available)
    except Exception:  # noqa: BLE001 - no psutil or no /proc: assume a small machine
        return 4 << 30


def estimate_bytes(cfg: RunConfig, n_seeds: int = 1) -> int:
    """Rough peak bytes of a run of `cfg` with `n_seeds` seeds (module docstring)."""
    item = 8 if cfg.dtype == "float64" else 4
    m, d, ms = cfg.student.m, cfg.teacher.d, cfg.teacher.m_star
    per_seed = 8 * (m + ms) ** 2 + 4 * (m + ms) * d
    if cfg.data.mode == "empirical":
        n = cfg.data.n_train or 0
        n_stage = max([getattr(st, "n", None) or 0 for st in cfg.stages] + [0])
        per_seed += (n + n_stage) * (d + 4 * m) + cfg.data.n_test * (d + m)
    n_params = m * (d + 1)
    hessian = 3 * n_params**2 if n_params <= HESSIAN_LIMIT else 0
    return item * (n_seeds * per_seed + hessian)


def scheduled_steps(cfg: RunConfig) -> int:
    """Steps the iterative stages schedule (epochs × steps_per_epoch, or steps; one-shot stages count 1)."""
    total = 0
    for st in cfg.stages:
        if hasattr(st, "epochs") and hasattr(st, "steps_per_epoch"):
            total += st.epochs * st.steps_per_epoch
        else:
            total += int(getattr(st, "steps", 1) or 1)
    return total


def estimate_seconds(cfg: RunConfig, n_seeds: int = 1) -> float:
    """Rough wall time of the training of `cfg` (module docstring): an upper figure, since converged
    epochs of `anneal_weight_decay` end early."""
    m, d, ms = cfg.student.m, cfg.teacher.d, cfg.teacher.m_star
    if cfg.data.mode == "empirical":
        flops = 8.0 * (cfg.data.n_train or 0) * m * d
    else:
        flops = 4.0 * (m + ms) ** 2 * d + 40.0 * (m + ms) ** 2
    return n_seeds * scheduled_steps(cfg) * (flops / NOMINAL_FLOPS + STEP_OVERHEAD)


def check_fits(cfg: RunConfig, n_seeds: int = 1) -> None:
    """Refuse (`ConfigError`) a run whose estimated memory exceeds what is available; warn about a long one."""
    need, have = estimate_bytes(cfg, n_seeds), available_bytes()
    if need > have:
        raise ConfigError(
            f"refused: the run needs about {_gb(need)} of memory (student.m = {cfg.student.m}, teacher.d = {cfg.teacher.d}"
            + (f", data.n_train = {cfg.data.n_train}" if cfg.data.mode == "empirical" else "")
            + (f", {n_seeds} seeds" if n_seeds > 1 else "")
            + f"), this machine has {_gb(have)} available; make the problem smaller")
    seconds = estimate_seconds(cfg, n_seeds)
    if seconds > LONG_RUN_SECONDS:
        warn(f"long run: {scheduled_steps(cfg)} scheduled steps (student.m = {cfg.student.m}, teacher.d = {cfg.teacher.d}"
             + (f", {n_seeds} seeds" if n_seeds > 1 else "") + f") take about {_duration(seconds)} at a nominal "
             f"{NOMINAL_FLOPS / 1e9:g} GFLOP/s; the progress bar shows where it is")


def _duration(seconds: float) -> str:
    if seconds < 3600:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h" if seconds < 86400 * 3 else f"{seconds / 86400:.0f} days"


def _gb(x: int) -> str:
    return f"{x / 2**30:.3g} GiB" if x < 2**60 else f"{x:.3g} bytes"


__all__ = ["available_bytes", "check_fits", "estimate_bytes", "estimate_seconds", "scheduled_steps"]
