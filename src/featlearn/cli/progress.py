"""A rich progress bar fed by `run`'s progress callback: stage, step, loss and λ."""

from __future__ import annotations

import contextlib

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn


@contextlib.contextmanager
def stage_progress(cfg, enabled: bool = True):
    if not enabled:
        yield None
        return
    bar = Progress(
        TextColumn("[bold]{task.description}"), BarColumn(bar_width=16), MofNCompleteColumn(),
        TextColumn("loss {task.fields[loss]}  λ {task.fields[lam]}"), TimeElapsedColumn(),
        console=Console(stderr=True), transient=False,
    )
    tasks: dict[int, int] = {}

    def update(stage: str, index: int, step: int, total: int, loss: float, lam: float):
        if index not in tasks:
            tasks[index] = bar.add_task(stage, total=total, loss="-", lam="-")
        bar.update(tasks[index], completed=step, loss=f"{loss:.3e}", lam=f"{lam:.2e}")

    with bar:
        yield update
