"""Typed records shared by every layer (DESIGN §7.2): run status, stage logs, the run summary, and
plot requests. Plain data only: no JAX arrays, everything JSON-able.

`Summary` is the one definition of summary.json's keys: `summary.json`, the summary of a failed or
refused run (every key, null where unknown), the columns of a sweep's `results.parquet` and the reports
all take their keys from `SUMMARY_KEYS`.
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Optional


class RunStatus(str, enum.Enum):
    """How a run ended; `summary.status` is the value as a string."""

    OK = "ok"
    DIVERGED = "diverged"
    FAILED = "failed"
    REFUSED = "refused"

    @property
    def meaning(self) -> str:
        return {
            "ok": "every stage ran to its end",
            "diverged": "a stage's loss or parameters blew up; the last finite parameters are kept",
            "failed": "the run raised an error; its message says where",
            "refused": "the problem was refused before any work (it cannot fit this machine)",
        }[self.value]

    @property
    def finished(self) -> bool:
        """A deterministic result of the config (a sweep does not run it again)."""
        return self in (RunStatus.OK, RunStatus.DIVERGED)


@dataclass(frozen=True)
class StageLog:
    """What one stage did for one seed.

    Attributes:
      name: the stage's name (its kind).
      kind: the stage kind (a key of the stage registry).
      index: position in the config's stage list.
      steps: steps computed (1 for a one-shot stage; polish: its Newton iterations).
      scheduled: the position reached in the stage's schedule: `steps` plus the steps skipped by epochs
        that ended early on convergence (the metrics' step axis counts these; None: nothing skipped).
      start_loss, end_loss: exact population loss of the network before and after the stage.
      seconds: wall time of the stage (shared by the seeds of a batch).
      lam_start, lam_end: weight decay λ at the first and the last step (None: the stage sets no λ).
      lr: the step size used (None for one-shot stages).
      below_threshold: fit_second_layer only: whether the loss reached the stage's threshold.
      diverged: whether the seed diverged in this stage.
    """

    name: str
    kind: str
    index: int
    steps: int
    start_loss: Optional[float]
    end_loss: Optional[float]
    seconds: float
    lam_start: Optional[float] = None
    lam_end: Optional[float] = None
    lr: Optional[float] = None
    below_threshold: Optional[bool] = None
    diverged: bool = False
    scheduled: Optional[int] = None

    def to_dict(self) -> dict:
        d = dataclasses.asdict(self)
        for key in ("below_threshold", "scheduled"):
            if d[key] is None:
                d.pop(key)
        return d

    @classmethod
    def from_dict(cls, d: Mapping) -> "StageLog":
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in d.items() if k in names})


@dataclass(frozen=True)
class Summary(Mapping):
    """summary.json of a run (DESIGN §4.2, §7.2). Also readable as a mapping: `s["status"]`, `s.get(...)`.

    Attributes:
      status: "ok" | "diverged" | "failed" | "refused" (`RunStatus`).
      message: what went wrong (None when ok).
      final_population_loss: exact L(θ) = ½E[(f_θ − f*)²] of the final network (None if non-finite).
      risk: E[½(f_θ − y)²] = L(θ) + s²/2 with label noise s (population risk).
      train_loss: empirical loss on the training set (empirical mode; else None).
      test_loss: empirical loss on `data.n_test` fresh samples (empirical mode; else None).
      recovered, max_angle_deg, far_mass, per_teacher, recovery_error, effective_neurons: alignment
        with the teacher (DESIGN §1.7).
      recovery_note: why the teacher is not recovered, one line (None when it is, or unknown).
      misspecified: for a student whose activation differs from the teacher's, one line saying so and
        what it means for the other figures (None otherwise).
      certificate_sup, certificate_lambda, certificate_support_gap: global-optimality check (§1.5).
      relative_weight_movement: ‖W − W₀‖_F / ‖W₀‖_F.
      critical_point: the critical-point record (§7.6) when computed, else None.
      stages: one `StageLog` dict per stage.
      wall_seconds, config_digest, featlearn_version, seed: bookkeeping.
    """

    status: str
    message: Optional[str] = None
    final_population_loss: Optional[float] = None
    risk: Optional[float] = None
    train_loss: Optional[float] = None
    test_loss: Optional[float] = None
    recovered: Optional[bool] = None
    max_angle_deg: Optional[float] = None
    far_mass: Optional[float] = None
    per_teacher: list = field(default_factory=list)
    recovery_note: Optional[str] = None
    misspecified: Optional[str] = None
    certificate_sup: Optional[float] = None
    certificate_lambda: Optional[float] = None
    certificate_support_gap: Optional[float] = None
    recovery_error: Optional[float] = None
    effective_neurons: Optional[float] = None
    relative_weight_movement: Optional[float] = None
    critical_point: Optional[dict] = None
    stages: list = field(default_factory=list)
    wall_seconds: Optional[float] = None
    config_digest: Optional[str] = None
    featlearn_version: Optional[str] = None
    seed: Optional[int] = None

    # Mapping interface (read-only), so `summary["far_mass"]` works as it does on summary.json.
    def __getitem__(self, key: str) -> Any:
        if key not in SUMMARY_KEYS:
            raise KeyError(key)
        return getattr(self, key)

    def __iter__(self):
        return iter(SUMMARY_KEYS)

    def __len__(self) -> int:
        return len(SUMMARY_KEYS)

    @property
    def run_status(self) -> RunStatus:
        return RunStatus(self.status)

    def to_dict(self) -> dict:
        """summary.json's content: every key, in the documented order."""
        return {k: getattr(self, k) for k in SUMMARY_KEYS}

    @classmethod
    def from_dict(cls, d: Mapping) -> "Summary":
        """From summary.json (missing keys are None; unknown keys are ignored)."""
        if not isinstance(d, Mapping) or "status" not in d:
            raise ValueError("not a featlearn summary (a mapping with a 'status')")
        return cls(**{k: d[k] for k in SUMMARY_KEYS if k in d})

    @classmethod
    def unfinished(cls, status: RunStatus | str, message: str, **known) -> "Summary":
        """The summary of a failed or refused run: every key, null where unknown."""
        return cls(status=RunStatus(status).value, message=message, **known)


SUMMARY_KEYS: tuple[str, ...] = tuple(f.name for f in dataclasses.fields(Summary))
# Summary fields that are one number (or boolean) per run: what a sweep report can plot.
SCALAR_KEYS: tuple[str, ...] = tuple(
    f.name for f in dataclasses.fields(Summary)
    if f.name not in ("status", "message", "per_teacher", "recovery_note", "misspecified", "stages", "critical_point", "config_digest", "featlearn_version", "seed")
)


@dataclass(frozen=True)
class PlotSpec:
    """A request for a figure: the name of a function of `featlearn.report.plots` and its arguments.

    Computing layers (experiments) describe their figures with these; the report draws them, so a
    figure is data → Figure and only the report imports matplotlib code."""

    plot: str
    args: tuple = ()
    kwargs: dict = field(default_factory=dict)





def plot(name: str, *args, **kwargs) -> PlotSpec:
    """`PlotSpec(name, args, kwargs)`: the figure `featlearn.report.plots.<name>(*args, **kwargs)`."""
    return PlotSpec(name, args, kwargs)
__all__ = ["PlotSpec", "RunStatus", "SCALAR_KEYS", "SUMMARY_KEYS", "StageLog", "Summary", "plot"]
