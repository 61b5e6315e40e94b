"""Stage builders, one module per stage kind; `build_stage` dispatches through the stage registry
(`featlearn.config.stages.STAGES`)."""

from __future__ import annotations

import importlib
from typing import Union

from featlearn.config.stages import STAGES
from featlearn.train.iterative import Iterative, OneShot
from featlearn.train.problem import Static


def builder(kind: str):
    """The build function of a registered stage kind (a "module:function" entry is imported on first use)."""
    build = STAGES[kind].build
    if isinstance(build, str):
        module, _, attr = build.partition(":")
        build = getattr(importlib.import_module(module), attr)
    return build


def build_stage(static: Static, stage, index: int) -> Union[Iterative, OneShot]:
    """What the driver runs for `stage` (the `index`-th of the config)."""
    built = builder(stage.kind)(static, stage, index)
    if not isinstance(built, (Iterative, OneShot)):
        raise TypeError(f"stage kind {stage.kind!r}: its builder returned {type(built).__name__}, expected Iterative or OneShot")
    return built


__all__ = ["build_stage", "builder"]
