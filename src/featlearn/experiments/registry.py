"""The experiments of DESIGN §3: id → module with `run(spec, size, ctx) -> ExperimentResult`.

An experiment is a shipped YAML `E<n>.yaml` beside a module `e<n>.py`; the ids are found from the files,
so adding an experiment is those two files (plus its test).
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Callable, Optional

from featlearn.config import ConfigError
from featlearn.experiments.base import Context, ExperimentResult, load_spec, sized, timed, write_experiment

def _ids() -> tuple[str, ...]:
    ids = [p.stem for p in Path(__file__).resolve().parent.glob("E*.yaml") if p.stem[1:].isdigit()]
    return tuple(sorted(ids, key=lambda i: int(i[1:])))


IDS = _ids()


def available() -> list[str]:
    """Ids whose spec and module are shipped."""
    out = []
    for i in IDS:
        try:
            importlib.import_module(f"featlearn.experiments.{i.lower()}")
            load_spec(i)
            out.append(i)
        except (ImportError, ConfigError):
            continue
    return out


def check_ids(ids) -> list[str]:
    avail = available()
    for i in ids:
        if i.upper() not in avail:
            raise ConfigError(f"EXPERIMENT: unknown experiment id {i!r}; valid: {', '.join(avail)} (or --all)")
    return [i.upper() for i in ids]


def reproduce(exp_id: str, size: str, out: Path, run_writer: Optional[Callable] = None,
              progress: Optional[Callable] = None) -> tuple[ExperimentResult, Path, dict]:
    """Run one experiment at `size`; write its runs and data into `out/<id>-<size>`.

    `progress`: name → a context manager yielding each training run's progress callback.
    Returns (result, folder, spec): the report layer draws `result.figures` and report.html."""
    spec = load_spec(exp_id)
    settings = sized(spec, size)
    mod = importlib.import_module(f"featlearn.experiments.{exp_id.lower()}")
    folder = Path(out) / f"{exp_id}-{size}"
    res = timed(lambda: mod.run(settings, size, Context(folder, run_writer, progress)))
    res.title = spec.get("title", exp_id)
    write_experiment(folder, res)
    return res, folder, spec
