"""The public workflows (DESIGN §4.1): training, sweeps and experiments composed with the report.

The computing layers write data (run directories, results tables, claims); this module, at the top of
the layer order beside the CLI, hands them the report's writers so that every run directory, sweep
and experiment folder also gets its figures and report.html.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional, Sequence

from featlearn.train import RunResult, load_run
from featlearn.train import run as _train_run
from featlearn.train import run_seeds as _train_run_seeds
from featlearn.progress import run_callback, sweep_callback
from featlearn.report.run_report import write_run_report


def _as_config(config):
    """A path (str or Path) or a shipped config's name is read as YAML; anything else goes on as it is
    (a `RunConfig`, a mapping, or None for the built-in default)."""
    if isinstance(config, (str, Path)):
        from featlearn.config import load_config

        return load_config(config)
    return config


def run(config=None, *, out: str | Path | None = None, resume: bool = False, progress=None, debug: bool = False) -> RunResult:
    """Run one config; with `out`, write the run directory `out/<name>-<digest[:10]>` with its figures
    and report.html. See `featlearn.train.run` for the arguments.

    `config`: a `RunConfig`, a mapping, a YAML path, a shipped config's name ("default", "lazy", ...) or
    None (the built-in default). `progress`: None shows a bar in a terminal or notebook, False none,
    True always, a callable receives (stage, index, step, total, loss, λ) (`featlearn.progress`).

    Example:
      >>> import featlearn
      >>> r = featlearn.run({"teacher": {"d": 4, "m_star": 2, "a_star": [1.0, -1.0]}, "student": {"m": 8},
      ...                    "stages": [{"kind": "one_step"}, {"kind": "fit_second_layer"}]})
      >>> r.summary.status, len(r.summary.stages)
      ('ok', 2)
    """
    cfg = _as_config(config)
    with run_callback(progress) as cb:
        return _train_run(cfg, out=out, resume=resume, progress=cb, writer=write_run_report if out is not None else None, debug=debug)


def run_seeds(config, seeds: Sequence[int], *, out: str | Path | None = None, resume: bool = False, progress=None,
              debug: bool = False) -> list[RunResult]:
    """Run one config for many seeds in one vmapped computation; with `out`, one complete run directory
    (figures and report included) per seed. See `featlearn.train.run_seeds`."""
    cfg = _as_config(config)
    with run_callback(progress) as cb:
        return _train_run_seeds(cfg, seeds, out=out, resume=resume, progress=cb,
                               writer=write_run_report if out is not None else None, debug=debug)



def run_sweep(sweep, *, out: str | Path = "sweeps", executor=None, batch_seeds: bool = False, progress=None):
    """Run a sweep (`featlearn.sweep.run_sweep`): every run directory with its report, then the sweep's
    results.parquet, figures and report.html. Returns the `SweepResult`."""
    from featlearn.report.sweep_report import write_sweep_report
    from featlearn.sweep import run_sweep as _run_sweep

    from featlearn.sweep import SweepSpec, load_sweep

    spec = sweep if isinstance(sweep, SweepSpec) else load_sweep(sweep)
    with sweep_callback(progress, spec.name) as cb:
        res = _run_sweep(spec, out=out, executor=executor, batch_seeds=batch_seeds, progress=cb, writer=write_run_report)
    write_sweep_report(res.folder, res.spec, res.results)
    return res


def reproduce(exp_id: str, size: str, out: str | Path, on_done=None, progress=None):
    """Run one experiment at `size` and write its folder `out/<id>-<size>` (runs, results, figures,
    claims.json, report.html). `progress` as for `run` (one bar per training run). Returns the
    `ExperimentResult`."""
    from featlearn.experiments import registry
    from featlearn.progress import stage_progress, wanted
    from featlearn.report.experiment_report import write_experiment_report

    bars = wanted(progress)
    res, folder, spec = registry.reproduce(exp_id, size, Path(out), run_writer=write_run_report,
                                           progress=(lambda name: stage_progress(True, f"{exp_id} {name} ")) if bars else None)
    write_experiment_report(folder, res, spec)
    if on_done:
        on_done(res, folder)
    return res


def rebuild_report(directory: str | Path) -> Path:
    """(Re)build the figures and report.html of a run directory or a sweep folder, or the report.html of
    an experiment folder (its figures are kept); returns the report."""
    from featlearn.config import ConfigError
    from featlearn.report.sweep_report import write_sweep_report
    from featlearn.sweep import load_sweep_folder
    from featlearn.train.run import ensure_diagnostics

    directory = Path(directory)
    if not directory.is_dir():
        raise ConfigError(f"DIR: not a directory: {directory}")
    if (directory / "sweep.yaml").is_file():
        spec, df = load_sweep_folder(directory)
        return write_sweep_report(directory, spec, df)
    if (directory / "claims.json").is_file():
        from featlearn.experiments.base import load_experiment, load_spec
        from featlearn.report.experiment_report import rewrite_experiment_report

        exp = load_experiment(directory)
        return rewrite_experiment_report(directory, exp, load_spec(exp.id))
    result = load_run(directory)
    ensure_diagnostics(result)
    write_run_report(directory, result)
    return directory / "report.html"


def animate(run_dir: str | Path, out: str | Path | None = None, *, fps: float = 8.0) -> tuple[Path, int]:
    """Film a run directory's trajectory (`featlearn.report.animation`): to `out` (.gif, or .mp4 with
    ffmpeg), by default `<run_dir>/figures/trajectory.gif`, which the run's report.html then embeds.
    Returns (path, number of frames)."""
    from featlearn.config import ConfigError
    from featlearn.report.animation import write_animation
    from featlearn.report.run_report import render_run_report
    from featlearn.io import atomic_write_text

    run_dir = Path(run_dir)
    default = out is None
    path = run_dir / "figures" / "trajectory.gif" if default else Path(out)
    if path.suffix.lower() not in (".gif", ".mp4"):
        raise ConfigError(f"--out: {path} must end in .gif or .mp4")
    result = load_run(run_dir)
    if result.trajectory is None:
        raise ConfigError(f"RUN: {run_dir} has no trajectory.npz (set metrics.trajectory_every > 0, e.g. --set metrics.trajectory_every=200, and run again)")
    path.parent.mkdir(parents=True, exist_ok=True)
    cfg = result.config
    try:
        n = write_animation(path, result.trajectory, result.teacher, result.metrics, cfg.student_activation, cfg.student.head,
                            title=cfg.name, fps=fps)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    if default and (run_dir / "report.html").is_file():
        atomic_write_text(run_dir / "report.html", render_run_report(run_dir, result))
    return path, n


__all__ = ["animate", "rebuild_report", "reproduce", "run", "run_seeds", "run_sweep"]
