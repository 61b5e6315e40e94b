"""`featlearn run [CONFIG] [--set key.path=value]... [--out DIR] [--resume]`."""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer

from featlearn.cli.progress import stage_progress


def run_cmd(
    ctx: typer.Context,
    config: Optional[Path] = typer.Argument(None, help="YAML config (default: the built-in three-stage run)."),
    set_: List[str] = typer.Option([], "--set", help="Override a config key: key.path=value (repeatable)."),
    out: Path = typer.Option(Path("runs"), "--out", help="Parent folder of the run directory."),
    resume: bool = typer.Option(False, "--resume", help="Continue from the run directory's checkpoint."),
    quiet: bool = typer.Option(False, "--quiet", help="No progress bar."),
):
    """Run one config and write its run directory <out>/<name>-<digest[:10]>."""
    from featlearn.config import load_config
    from featlearn.workflows import run

    cfg = load_config(config, set_)
    with stage_progress(cfg, enabled=not quiet) as progress:
        result = run(cfg, out=out, resume=resume, progress=progress, debug=bool(ctx.obj and ctx.obj.get("debug")))
    s = result.summary
    typer.echo(f"status: {s.status}" + (f" ({s.message})" if s.message else ""))
    typer.echo(f"final population loss: {_num(s.final_population_loss, '.3e')}")
    if s.test_loss is not None:
        typer.echo(f"train loss: {_num(s.train_loss, '.3e')}   test loss: {_num(s.test_loss, '.3e')} (data.n_test fresh samples)")
    angle = "n/a" if s.max_angle_deg is None else f"{s.max_angle_deg:.3f}°"
    typer.echo(f"recovered: {s.recovered}  (max angle {angle}, far mass {_num(s.far_mass, '.2e')})")
    if s.misspecified:
        typer.echo(f"  {s.misspecified}")
    if s.recovery_note:
        typer.echo(f"  not recovered: {s.recovery_note}")
    if s.certificate_sup is not None:
        typer.echo(f"certificate sup |η_λ|: {s.certificate_sup:.6f}")
    typer.echo(f"wall time: {_num(s.wall_seconds, '.1f')} s")
    typer.echo(f"run directory: {result.out_dir}")
    if s.status != "ok":  # the run folder is complete (last finite parameters kept); say what to change
        typer.echo(f"featlearn: error: {s.message or 'the run ended with status ' + s.status}", err=True)
        raise typer.Exit(1)


def _num(x, fmt: str) -> str:
    """A number for the terminal: `n/a` for a missing value (a failed run), `non-finite` for inf / nan."""
    if x is None:
        return "n/a"
    return format(x, fmt)
