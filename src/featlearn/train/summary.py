"""summary.json of a run (DESIGN §4.2), with the global-optimality check of DESIGN §1.5."""

from __future__ import annotations

import jax
import numpy as np

import featlearn
from featlearn.config import RunConfig, digest
from featlearn.config.schema import GD, AnnealWeightDecay
from featlearn.diagnostics import alignment, certificate_sup, certificate_support_gap
from featlearn.train.loop import DIVERGED
from featlearn.train.problem import model_loss


def diverged_message(stage_logs: list, cfg: RunConfig, seed_index: int = 0) -> str:
    hit = [s for s in stage_logs if s.get("diverged", [False] * (seed_index + 1))[seed_index]]
    last = hit[0] if hit else (stage_logs[-1] if stage_logs else {"index": 0, "name": cfg.stages[0].kind})
    st = cfg.stages[last["index"]]
    lr = getattr(st, "lr", None)
    hint = f"; try a smaller stages.{last['index']}.lr (now {lr})" if lr is not None else ""
    return f"stage {last['index']} ({last['name']}) diverged: the loss or the parameters became non-finite{hint}"


def final_weight_decay(cfg: RunConfig) -> float | None:
    """λ of the last weight-decay stage at its end (anneal: λ₀·factor^(epochs−1); gd: its λ), or None."""
    for st in reversed(cfg.stages):
        if isinstance(st, AnnealWeightDecay):
            return st.lam0 * st.factor ** (st.epochs - 1)
        if isinstance(st, GD) and st.lam > 0:
            return st.lam
    return None


def build_summary(cfg: RunConfig, params, problem, static, status: int, stage_logs: list, wall: float, seed_index: int = 0, W0=None) -> dict:
    """The summary record of one seed: status, final loss, recovery metrics, certificate, stage records."""
    teacher = problem.teacher
    al = alignment(params, teacher, static.activation, delta_deg=static.delta_deg, mass_tol=static.mass_tol).to_summary()
    loss = float(model_loss(params, problem, static))
    stages = []
    for s in stage_logs:
        rec = {k: s[k] for k in ("name", "steps", "start_loss", "end_loss", "seconds")}
        if "per_seed_end_loss" in s:
            rec["start_loss"] = s["per_seed_start_loss"][seed_index]
            rec["end_loss"] = s["per_seed_end_loss"][seed_index]
        if "below_threshold" in s:
            rec["below_threshold"] = s["below_threshold"][seed_index]
        stages.append(rec)
    finite = bool(np.isfinite(loss))
    lam = final_weight_decay(cfg)
    cert = gap = None
    if lam is not None and finite and static.activation != "erf":
        sup = certificate_sup(params, teacher, static.activation, lam, jax.random.fold_in(problem.key, 7))
        cert = float(sup.sup)
        gap = float(certificate_support_gap(params, teacher, static.activation, lam, mass_tol=static.mass_tol))
    out = {
        "status": "diverged" if (status == DIVERGED or not finite) else "ok",
        "final_population_loss": loss if finite else None,
        "recovered": al["recovered"],
        "max_angle_deg": al["max_angle_deg"],
        "far_mass": al["far_mass"],
        "per_teacher": al["per_teacher"],
        "certificate_sup": cert,
        "certificate_lambda": lam,
        "certificate_support_gap": gap,
        "recovery_error": al["recovery_error"],
        "effective_neurons": al["effective_neurons"],
        "relative_weight_movement": None if W0 is None else float(np.linalg.norm(np.asarray(params.W) - np.asarray(W0)) / max(np.linalg.norm(np.asarray(W0)), 1e-300)),
        "stages": stages,
        "wall_seconds": wall,
        "config_digest": digest(cfg),
        "featlearn_version": featlearn.__version__,
    }
    if out["status"] == "diverged":
        out["message"] = diverged_message(stage_logs, cfg, seed_index)
    return out
