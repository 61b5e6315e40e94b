"""E1: local convergence — from below the threshold, annealed weight decay recovers every direction."""

from __future__ import annotations

import numpy as np

from featlearn.experiments.base import Claim, Context, ExperimentResult
from featlearn.diagnostics import alignment
from featlearn.records import plot


def run(spec: dict, size: str, ctx: Context) -> ExperimentResult:
    r = ctx.run(spec["config"])
    s, cfg = r.summary, r.config
    tol, delta = cfg.metrics.mass_tol, cfg.metrics.delta_deg
    al = alignment(r.params, r.teacher, cfg.teacher.activation, delta_deg=delta, mass_tol=tol)
    angles, mu = np.asarray(al.angle_deg), np.asarray(al.mass)
    dev = max(abs(t["signed_mass"] - t["a_star"]) for t in s["per_teacher"])
    claims = [
        Claim("final loss", "L ≤ 1e-8", s["final_population_loss"], s["final_population_loss"] <= 1e-8),
        Claim("massive neurons aligned", f"every neuron with mass > {tol:g} within {delta:g}° of a teacher", s["max_angle_deg"], s["max_angle_deg"] <= delta),
        Claim("far mass", f"far mass ≤ {tol:g}", s["far_mass"], s["far_mass"] <= tol),
        Claim("per-teacher mass", f"max_i |signed mass_i − a*_i| ≤ {tol:g}", dev, dev <= tol),
    ]
    df = r.metrics
    figs = {
        "loss_lambda": plot("loss_and_lambda", df, "E1: loss and weight decay"),
        "far_mass": plot("far_mass", df, delta, tol),
        "per_teacher_mass": plot("per_teacher_mass", df, r.teacher.a),
        "neuron_angles": plot("neuron_angles", angles, mu, delta, tol, "E1: final neurons (angle to nearest teacher vs mass)"),
    }
    captions = {
        "loss_lambda": "Exact population loss, training objective and λ against the step.",
        "far_mass": "Mass of the neurons farther than δ from every teacher.",
        "per_teacher_mass": "Signed mass near each teacher (dashed: a*_i).",
        "neuron_angles": "Every final neuron: angle to its nearest teacher against its mass. Massive neurons sit below δ; the rest have shrunk to ~0 mass.",
    }
    table = df.assign(experiment="E1")
    return ExperimentResult("E1", "", size, claims, table, figs, captions)
