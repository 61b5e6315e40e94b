"""`featlearn report DIR`: rebuild the figures and report of a run directory or a sweep folder."""

from __future__ import annotations

from pathlib import Path

import typer



def report_cmd(directory: Path = typer.Argument(..., help="A run directory (featlearn run) or a sweep folder (featlearn sweep).")):
    """(Re)build the figures and report.html of a run directory or a sweep folder."""
    from featlearn.workflows import rebuild_report

    path = rebuild_report(directory)
    typer.echo(f"wrote {path}")
