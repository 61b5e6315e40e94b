"""`featlearn run [CONFIG] [--set key.path=value]... [--out DIR] [--resume]`."""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer

from featlearn.cli.main import app
from featlearn.cli.progress import stage_progress


@app.command("run")
def run_cmd(
    config: Optional[Path] = typer.Argument(None, help="YAML config (default: the built-in three-stage run)."),
    set_: List[str] = typer.Option([], "--set", help="Override a config key: key.path=value (repeatable)."),
    out: Path = typer.Option(Path("runs"), "--out", help="Parent folder of the run directory."),
    resume: bool = typer.Option(False, "--resume", help="Continue from the run directory's checkpoint."),
    quiet: bool = typer.Option(False, "--quiet", help="No progress bar."),
):
    """Run one config and write its run directory <out>/<name>-<digest[:10]>."""
    from featlearn.config import load_config
    from featlearn.train import run

    cfg = load_config(config, set_)
    with stage_progress(cfg, enabled=not quiet) as progress:
        result = run(cfg, out=out, resume=resume, progress=progress)
    s = result.summary
    loss = s["final_population_loss"]
    typer.echo(f"status: {s['status']}" + (f" ({s['message']})" if "message" in s else ""))
    typer.echo(f"final population loss: {loss:.3e}" if loss is not None else "final population loss: non-finite")
    typer.echo(f"recovered: {s['recovered']}  (max angle {s['max_angle_deg']:.3f}°, far mass {s['far_mass']:.2e})")
    if s.get("certificate_sup") is not None:
        typer.echo(f"certificate sup |η_λ|: {s['certificate_sup']:.6f}")
    typer.echo(f"wall time: {s['wall_seconds']:.1f} s")
    typer.echo(f"run directory: {result.out_dir}")
    if s["status"] != "ok":  # the run folder is complete (last finite parameters kept); say what to change
        typer.echo(f"featlearn: error: {s.get('message', 'the run ended with status ' + s['status'])}", err=True)
        raise typer.Exit(1)
