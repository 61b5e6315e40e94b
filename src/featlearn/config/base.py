"""Shared pydantic building blocks of the config models."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

PosInt = Annotated[int, Field(gt=0, strict=False)]
PosFloat = Annotated[float, Field(gt=0)]
NonNegFloat = Annotated[float, Field(ge=0)]


class Strict(BaseModel):
    """Unknown keys are errors, instances are immutable, and no float may be inf or nan."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


__all__ = ["NonNegFloat", "PosFloat", "PosInt", "Strict"]
