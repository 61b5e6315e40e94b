"""Shared pydantic building blocks of the config models."""

from __future__ import annotations

import math
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field


def _not_bool(value):
    """`true` is not the integer 1 here (YAML and `--set seed=true` would otherwise run seed 1)."""
    if isinstance(value, bool):
        raise ValueError("expected an integer, not a boolean")
    return value


Int = Annotated[int, BeforeValidator(_not_bool)]


def _lr(value):
    """A step size: "auto" (from the curvature, `featlearn.train.stepsize`) or a positive number."""
    if value == "auto":
        return value
    if isinstance(value, str):  # `--set lr=1e8` (YAML reads 1e8 as text)
        try:
            value = float(value)
        except ValueError:
            pass
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not (math.isfinite(value) and value > 0):
        raise ValueError('expected "auto" or a positive finite number')
    return float(value)


LearningRate = Annotated[Any, BeforeValidator(_lr)]
PosInt = Annotated[Int, Field(gt=0)]
NonNegInt = Annotated[Int, Field(ge=0)]
PosFloat = Annotated[float, Field(gt=0)]
NonNegFloat = Annotated[float, Field(ge=0)]


class Strict(BaseModel):
    """Unknown keys are errors, instances are immutable, and no float may be inf or nan."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


__all__ = ["Int", "LearningRate", "NonNegFloat", "NonNegInt", "PosFloat", "PosInt", "Strict"]
