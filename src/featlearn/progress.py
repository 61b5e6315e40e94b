"""Progress bars (rich: a terminal or a notebook) for runs and sweeps, and what `progress=` means.

`progress` of `featlearn.run`, `run_seeds` and `run_sweep`: None (the default) shows a bar when stderr
is a terminal or the code runs in a notebook, True always, False never; a callable is called instead
(runs: (stage, index, step, total, loss, λ) after every chunk; sweeps: (done, total, point, summary)).
"""

from __future__ import annotations

import contextlib

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn


def _interactive(console: Console) -> bool:
    return bool(console.is_terminal or console.is_jupyter)


def wanted(progress) -> bool:
    """Whether `progress` (None / True / False) asks for a bar here."""
    if progress is None:
        return _interactive(Console(stderr=True))
    return bool(progress)


@contextlib.contextmanager
def stage_progress(enabled: bool = True, label: str = ""):
    """A bar per stage: steps done of the stage's schedule, the loss and λ (yields the run callback);
    `label` prefixes each stage's name."""
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
            tasks[index] = bar.add_task(label + stage, total=total, loss="-", lam="-")
        bar.update(tasks[index], completed=step, loss=f"{loss:.3e}", lam=f"{lam:.2e}")

    with bar:
        yield update


@contextlib.contextmanager
def sweep_progress(name: str, enabled: bool = True):
    """A bar of finished runs (cached ones count as done from the start), with failed / diverged counts."""
    if not enabled:
        yield None
        return
    bar = Progress(TextColumn(f"[bold]sweep {name}"), BarColumn(bar_width=30), MofNCompleteColumn(), TextColumn("runs  {task.fields[note]}"),
                   TimeElapsedColumn(), TimeRemainingColumn(), console=Console(stderr=True))
    state = {"task": None, "failed": 0, "diverged": 0}

    def update(done: int, total: int, point, summary):
        if state["task"] is None:
            state["task"] = bar.add_task(name, total=total, completed=done, note=f"({done} cached)" if done else "")
        if summary is not None and summary.get("status") in ("failed", "diverged"):
            state[summary["status"]] += 1
        note = ", ".join(f"{state[k]} {k}" for k in ("failed", "diverged") if state[k])
        bar.update(state["task"], completed=done, note=note)

    with bar:
        yield update


@contextlib.contextmanager
def run_callback(progress):
    """The run callback for `progress` (see the module docstring)."""
    if callable(progress) and not isinstance(progress, bool):
        yield progress
        return
    with stage_progress(wanted(progress)) as cb:
        yield cb


@contextlib.contextmanager
def sweep_callback(progress, name: str):
    if callable(progress) and not isinstance(progress, bool):
        yield progress
        return
    with sweep_progress(name, wanted(progress)) as cb:
        yield cb


__all__ = ["run_callback", "stage_progress", "sweep_callback", "sweep_progress", "wanted"]
