"""E8: lazy (NTK) training vs the annealed three-stage run: weight movement and recovery."""

from __future__ import annotations

import pandas as pd

from featlearn.experiments.base import Claim, Context, ExperimentResult
from featlearn.records import plot


def run(spec: dict, size: str, ctx: Context) -> ExperimentResult:
    lz = spec["lazy"]
    lazy_cfg = {"name": f"E8-{size}-lazy", "teacher": spec["teacher"], "student": {"m": spec["m"]},
                "init": {"kind": "symmetric", "scale": lz["scale"]}, "stages": [{"kind": "lazy", "lr": lz["lr"], "steps": lz["steps"]}]}
    ann_cfg = {"name": f"E8-{size}-annealed", "teacher": spec["teacher"], "student": {"m": spec["m"]},
               "stages": [{"kind": "one_step"}, {"kind": "fit_second_layer"}, dict(kind="anneal_weight_decay", **spec["anneal"])]}
    a = ctx.run(lazy_cfg)
    b = ctx.run(ann_cfg)
    mv = a.summary["relative_weight_movement"]
    claims = [
        Claim("lazy weights hardly move", "lazy: ‖W − W₀‖_F / ‖W₀‖_F < 0.05", mv, mv < 0.05),
        Claim("lazy does not recover", "lazy: recovered is false", a.summary["recovered"], a.summary["recovered"] is False),
        Claim("annealed recovers", "annealed three-stage run: recovered is true", b.summary["recovered"], b.summary["recovered"] is True),
    ]
    labels = ["lazy (NTK)", "annealed three-stage"]
    figs = {
        "weight_movement": plot("bars", labels, [mv, b.summary["relative_weight_movement"]], "‖W − W₀‖_F / ‖W₀‖_F",
                                                 "E8: relative first-layer movement", threshold=0.05, threshold_label="5%", logy=True),
        "loss": plot("compare_curves", {labels[0]: a.metrics, labels[1]: b.metrics}, "population_loss", "population loss",
                                                "E8: loss of the lazy (linearised) model and of the annealed network"),
        "far_mass": plot("compare_curves", {labels[0]: a.metrics, labels[1]: b.metrics}, "far_mass", "far mass",
                                                    "E8: mass away from the teacher directions"),
    }
    captions = {"weight_movement": "Relative movement of the first-layer weights from their initialisation (log scale).",
                "loss": "Exact population loss: of the linearised model (lazy) and of the network (annealed).",
                "far_mass": "Mass of neurons farther than δ from every teacher: the lazy model never concentrates on the teachers."}
    table = pd.DataFrame([{"run": "lazy", **{k: a.summary[k] for k in ("final_population_loss", "recovered", "far_mass", "relative_weight_movement")}},
                          {"run": "annealed", **{k: b.summary[k] for k in ("final_population_loss", "recovered", "far_mass", "relative_weight_movement")}}])
    return ExperimentResult("E8", "", size, claims, table, figs, captions)
