"""`featlearn sweep SWEEP.yaml [--workers N | --scheduler tcp://HOST:PORT] [--out DIR] [--batch-seeds]`."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer



def sweep_cmd(
    sweep: Path = typer.Argument(..., help="Sweep file (or a shipped sweep: small): a base config (mapping or path) plus grid: {key.path: list of values}."),
    workers: Optional[int] = typer.Option(None, "--workers", help="Run on a local Dask cluster of N worker processes."),
    scheduler: Optional[str] = typer.Option(None, "--scheduler", help="Run on an existing Dask scheduler, e.g. tcp://HOST:8786."),
    out: Path = typer.Option(Path("sweeps"), "--out", help="Parent folder of the sweep folder <out>/<name>."),
    batch_seeds: bool = typer.Option(False, "--batch-seeds", help="Run grid points that differ only in seed as one vmapped computation."),
    quiet: bool = typer.Option(False, "--quiet", help="No progress bar."),
    dashboard: bool = typer.Option(False, "--dashboard", help="With --workers: serve the Dask dashboard on 127.0.0.1 (off by default)."),
    dry_run: bool = typer.Option(False, "--dry-run", help="List the grid points, their run folders and whether they are cached; run nothing."),
):
    """Run every grid point of a sweep not finished yet; write results.parquet and report.html."""
    from featlearn.sweep import DaskExecutor, InProcessExecutor, expand, load_sweep
    from featlearn.workflows import run_sweep

    spec = load_sweep(_shipped(sweep))
    points = expand(spec)  # validate every grid point before connecting anywhere
    if dry_run:
        from featlearn.sweep.cache import cached_summary

        runs = out / spec.name / "runs"
        for p in points:
            cached = "cached" if cached_summary(runs, p.config, p.digest) is not None else "to run"
            sets = ", ".join(f"{k}={v}" for k, v in p.overrides.items())
            typer.echo(f"{p.index:4d}  runs/{p.run_name}  {cached:7s}  {sets}")
        typer.echo(f"sweep {spec.name}: {len(points)} points (dry run: nothing was run or written)")
        return
    executor = DaskExecutor(workers=workers, scheduler=scheduler, dashboard=dashboard) if (workers is not None or scheduler is not None) else InProcessExecutor()
    from featlearn.progress import sweep_progress

    with sweep_progress(spec.name, enabled=not quiet) as progress:
        res = run_sweep(spec, out=out, executor=executor, batch_seeds=batch_seeds, progress=progress)
    n = len(res.points)
    typer.echo(f"sweep {spec.name}: {n} runs ({n - res.computed} cached, {res.computed} run now on {executor.description}); "
               f"ok {res.count('ok')}, diverged {res.count('diverged')}, failed {res.count('failed')}")
    for p, s in zip(res.points, res.summaries):
        if s.get("status") == "failed":
            typer.echo(f"  failed: runs/{p.run_name}: {s.get('message', '')}")
    typer.echo(f"results: {res.folder / 'results.parquet'}")
    typer.echo(f"report: {res.folder / 'report.html'}")
    if res.count("failed"):
        raise typer.Exit(1)


def _shipped(path: Path) -> Path:
    """A bare name of a shipped sweep (`small`) stands for src/featlearn/configs/sweeps/<name>.yaml."""
    from featlearn.config.yaml_io import SHIPPED

    candidate = SHIPPED / "sweeps" / f"{path}.yaml"
    return candidate if not path.exists() and path.parent == Path(".") and candidate.is_file() else path
