"""The `Summary` of one seed's run (DESIGN §4.2, §7.2) from its final state and its `Diagnostics`."""

from __future__ import annotations

from typing import Optional

import numpy as np

from featlearn._version import __version__
from featlearn.config import RunConfig, digest
from featlearn.diagnostics import Diagnostics
from featlearn.model import relative_movement
from featlearn.gaussian.activations import get_activation
from featlearn.records import RunStatus, StageLog, Summary


def diverged_message(stage_logs: list[StageLog], cfg: RunConfig) -> str:
    """Which stage diverged, and the step size to lower."""
    hit = [s for s in stage_logs if s.diverged]
    last = hit[0] if hit else (stage_logs[-1] if stage_logs else None)
    index = last.index if last else 0
    st = cfg.stages[index]
    lr = getattr(st, "lr", None)
    hint = f"; try a smaller stages.{index}.lr (now {lr})" if lr is not None else ""
    return (f"stage {index} ({st.kind}) diverged: the loss or the parameters blew up (non-finite, or the objective above "
            f"10⁴ × its start){hint}")


def _num(x) -> Optional[float]:
    x = float(x)
    return x if np.isfinite(x) else None


def build_summary(cfg: RunConfig, *, status: RunStatus, message: Optional[str], loss: float, diagnostics: Diagnostics,
                  stage_logs: list[StageLog], wall: float, W, W0, train_loss=None, test_loss=None) -> Summary:
    """The summary record of one seed."""
    finite = bool(np.isfinite(loss))
    if status == RunStatus.OK and not finite:
        status = RunStatus.DIVERGED
    if status == RunStatus.DIVERGED and message is None:
        message = diverged_message(stage_logs, cfg)
    al = diagnostics.alignment.to_summary()
    note = al["recovery_note"]
    act = get_activation(cfg.student_activation)
    if note and act.rule is not None and act.rule.kind == "hermite" and finite and loss < 1e-8:
        note = (f"{note}. But L = {loss:.2g}: σ = {act.name} is a polynomial of degree {act.rule.nodes - 1}, so many networks "
                "(other neuron directions) represent the teacher exactly and recovery of the directions is not identifiable")
    noise = cfg.teacher.noise_std
    return Summary(
        status=status.value,
        message=message,
        final_population_loss=float(loss) if finite else None,
        risk=float(loss) + 0.5 * noise**2 if finite else None,
        train_loss=None if train_loss is None else _num(train_loss),
        test_loss=None if test_loss is None else _num(test_loss),
        recovered=al["recovered"],
        max_angle_deg=al["max_angle_deg"],
        far_mass=al["far_mass"],
        per_teacher=al["per_teacher"],
        recovery_note=note,
        misspecified=diagnostics.notes.get("misspecified"),
        certificate_sup=diagnostics.certificate_sup,
        certificate_lambda=diagnostics.lam,
        certificate_support_gap=diagnostics.certificate_support_gap,
        recovery_error=al["recovery_error"],
        effective_neurons=al["effective_neurons"],
        relative_weight_movement=_num(relative_movement(np.asarray(W, np.float64), np.asarray(W0, np.float64))),
        stages=[s.to_dict() for s in stage_logs],
        critical_point=None if diagnostics.critical_point is None else diagnostics.critical_point.to_summary(),
        wall_seconds=wall,
        config_digest=digest(cfg),
        featlearn_version=__version__,
        seed=cfg.seed,
    )


def unfinished_summary(cfg: RunConfig, status: RunStatus | str, message: str, wall_seconds: Optional[float] = None) -> Summary:
    """A run that raised before it had results (or was refused): every key, null where unknown."""
    return Summary.unfinished(status, " ".join(str(message).split()) or str(RunStatus(status).value), wall_seconds=wall_seconds,
                              config_digest=digest(cfg), featlearn_version=__version__, seed=cfg.seed)


__all__ = ["build_summary", "diverged_message", "unfinished_summary"]
