"""The sweep's cache by digest: a run whose run directory holds a finished summary.json is not run again.

A run directory is `runs/<name>-<digest[:10]>` (the digest of the resolved config, DESIGN §4.4), so a
sweep that is killed, or extended with new grid values, reruns only what is missing. A summary counts as
finished when its status is "ok" or "diverged" (both are deterministic results of the config) and its
`config_digest` is the point's digest; "failed" runs (an exception, a lost worker) are run again.
"""

from __future__ import annotations

import json
import traceback
from pathlib import Path
from typing import Optional

from featlearn.config import RunConfig, config_yaml, digest, run_dir_name, validate
from featlearn.io import atomic_write_json, atomic_write_text
from featlearn.records import RunStatus
from featlearn.train.summary import unfinished_summary

FINISHED = tuple(s.value for s in RunStatus if s.finished)


def run_dir(runs_dir: str | Path, cfg: RunConfig) -> Path:
    """`runs_dir/<name>-<digest[:10]>`."""
    return Path(runs_dir) / run_dir_name(cfg)


def read_summary(path: str | Path) -> Optional[dict]:
    """summary.json of a run directory, or None when missing or unreadable (a half-written run)."""
    try:
        data = json.loads((Path(path) / "summary.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def cached_summary(runs_dir: str | Path, cfg: RunConfig, dg: str | None = None) -> Optional[dict]:
    """The summary of a finished run of `cfg` under `runs_dir`, or None when it must be (re)run."""
    s = read_summary(run_dir(runs_dir, cfg))
    if s is None or s.get("status") not in FINISHED or s.get("config_digest") != (dg or digest(cfg)):
        return None
    return s


def error_message(exc: BaseException) -> str:
    """`Type: message` on one line."""
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def record_failure(runs_dir: str | Path, config: RunConfig | dict, exc_or_message, wall_seconds: float | None = None) -> dict:
    """Write config.yaml, summary.json (status "failed") and, for an exception, error.txt with its traceback."""
    cfg = config if isinstance(config, RunConfig) else validate(config)
    d = run_dir(runs_dir, cfg)
    d.mkdir(parents=True, exist_ok=True)
    atomic_write_text(d / "config.yaml", config_yaml(cfg))
    if isinstance(exc_or_message, BaseException):
        message = error_message(exc_or_message)
        tb = "".join(traceback.format_exception(type(exc_or_message), exc_or_message, exc_or_message.__traceback__))
        atomic_write_text(d / "error.txt", tb)
    else:
        message = str(exc_or_message)
    summary = unfinished_summary(cfg, RunStatus.FAILED, message, wall_seconds).to_dict()
    atomic_write_json(d / "summary.json", summary)
    return summary


__all__ = ["FINISHED", "cached_summary", "error_message", "read_summary", "record_failure", "run_dir"]
