"""Shared pydantic building blocks of the config models."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field


def _not_bool(value):
    """`true` is not the integer 1 here (YAML and `--set seed=true` would otherwise run seed 1)."""
    if isinstance(value, bool):
        raise ValueError("expected an integer, not a boolean")
    return value


Int = Annotated[int, BeforeValidator(_not_bool)]
PosInt = Annotated[Int, Field(gt=0)]
NonNegInt = Annotated[Int, Field(ge=0)]
PosFloat = Annotated[float, Field(gt=0)]
NonNegFloat = Annotated[float, Field(ge=0)]


class Strict(BaseModel):
    """Unknown keys are errors, instances are immutable, and no float may be inf or nan."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


__all__ = ["Int", "NonNegFloat", "NonNegInt", "PosFloat", "PosInt", "Strict"]
