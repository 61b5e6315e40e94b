"""The CLI's progress bars are `featlearn.progress`'s (the Python API shows the same ones)."""

from __future__ import annotations

import contextlib

from featlearn.progress import stage_progress as _stage_progress


@contextlib.contextmanager
def stage_progress(cfg, enabled: bool = True):
    with _stage_progress(enabled) as cb:
        yield cb
