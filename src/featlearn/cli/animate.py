"""`featlearn animate RUN`: film the neurons of a run directory moving (its trajectory.npz)."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer


def animate_cmd(run_dir: Path = typer.Argument(..., metavar="RUN", help="A run directory with a trajectory.npz."),
                out: Optional[Path] = typer.Option(None, "--out", help="Output .gif (or .mp4 with ffmpeg); default: RUN/figures/trajectory.gif, embedded in RUN/report.html."),
                fps: float = typer.Option(8.0, "--fps", min=0.1, max=60.0, help="Frames per second.")):
    """Animate a run: neurons on teacher planes (area ∝ mass, colour = sign) beside the loss, one frame per snapshot."""
    from featlearn.workflows import animate

    path, n = animate(run_dir, out, fps=fps)
    typer.echo(f"wrote {path} ({n} frames)")
