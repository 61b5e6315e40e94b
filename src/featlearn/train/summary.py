"""summary.json of a run (DESIGN §4.2)."""

from __future__ import annotations

import numpy as np

import featlearn
from featlearn.config import RunConfig, digest
from featlearn.gaussian import get_activation
from featlearn.train.loop import DIVERGED
from featlearn.train.metrics import light_alignment
from featlearn.train.problem import model_loss


def diverged_message(stage_logs: list, cfg: RunConfig, seed_index: int = 0) -> str:
    hit = [s for s in stage_logs if s.get("diverged", [False] * (seed_index + 1))[seed_index]]
    last = hit[0] if hit else (stage_logs[-1] if stage_logs else {"index": 0, "name": cfg.stages[0].kind})
    st = cfg.stages[last["index"]]
    lr = getattr(st, "lr", None)
    hint = f"; try a smaller stages.{last['index']}.lr (now {lr})" if lr is not None else ""
    return f"stage {last['index']} ({last['name']}) diverged: the loss or the parameters became non-finite{hint}"


def build_summary(cfg: RunConfig, params, problem, static, status: int, stage_logs: list, wall: float, seed_index: int = 0, W0=None) -> dict:
    """The summary record of one seed: status, final loss, recovery metrics, per-stage records."""
    teacher = problem.teacher
    even = get_activation(static.activation).even
    al = light_alignment(params, teacher, even, static.delta_deg, static.mass_tol)
    loss = float(model_loss(params, problem, static))
    signed = np.asarray(al.signed_mass)
    a_star = np.asarray(teacher.a)
    far, max_angle = float(al.far_mass), float(al.max_angle_deg)
    recovered = bool(far <= static.mass_tol and np.all(np.abs(signed - a_star) <= static.mass_tol) and max_angle <= static.delta_deg)
    stages = []
    for s in stage_logs:
        rec = {k: s[k] for k in ("name", "steps", "start_loss", "end_loss", "seconds")}
        if "per_seed_end_loss" in s:
            rec["end_loss"] = s["per_seed_end_loss"][seed_index]
        if "below_threshold" in s:
            rec["below_threshold"] = s["below_threshold"][seed_index]
        stages.append(rec)
    finite = bool(np.isfinite(loss))
    out = {
        "status": "diverged" if (status == DIVERGED or not finite) else "ok",
        "final_population_loss": loss if finite else None,
        "recovered": recovered,
        "max_angle_deg": max_angle,
        "far_mass": far,
        "per_teacher": [
            {"index": i, "a_star": float(a_star[i]), "signed_mass": float(signed[i]), "n_neurons": int(al.n_neurons[i]),
             "max_angle_deg": float(al.teacher_max_angle_deg[i])}
            for i in range(len(a_star))
        ],
        "certificate_sup": None,
        "relative_weight_movement": None if W0 is None else float(np.linalg.norm(np.asarray(params.W) - np.asarray(W0)) / max(np.linalg.norm(np.asarray(W0)), 1e-300)),
        "stages": stages,
        "wall_seconds": wall,
        "config_digest": digest(cfg),
        "featlearn_version": featlearn.__version__,
    }
    if out["status"] == "diverged":
        out["message"] = diverged_message(stage_logs, cfg, seed_index)
    return out
