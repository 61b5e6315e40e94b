"""E2: the benefit of weight decay — same start, annealed WD vs plain GD without WD."""

from __future__ import annotations

import pandas as pd

from featlearn.experiments.base import Claim, Context, ExperimentResult
from featlearn.records import plot


def run(spec: dict, size: str, ctx: Context) -> ExperimentResult:
    spe, epochs = spec["steps_per_epoch"], spec["epochs"]
    head = [{"kind": "one_step"}, {"kind": "fit_second_layer"}]
    # the same fixed step and every scheduled step in both arms (no automatic step, no early end of an epoch)
    wd = dict(spec["base"], stages=head + [{"kind": "anneal_weight_decay", "epochs": epochs, "steps_per_epoch": spe, "lr": 1.0, "tol": 0.0}])
    plain = dict(spec["base"], name=spec["base"]["name"] + "-noWD",
                 stages=head + [{"kind": "gd", "lr": 1.0, "lam": 0.0, "steps": epochs * spe}])
    a = ctx.run(wd)
    b = ctx.run(plain)
    fa, fb = a.summary["far_mass"], b.summary["far_mass"]
    ratio = fb / max(fa, 1e-300)
    claims = [
        Claim("same start", "identical stage-2 loss in both runs", a.summary["stages"][1]["end_loss"],
              a.summary["stages"][1]["end_loss"] == b.summary["stages"][1]["end_loss"]),
        Claim("equal steps", "same number of stage-3 steps", a.summary["stages"][2]["steps"], a.summary["stages"][2]["steps"] == b.summary["stages"][2]["steps"]),
        Claim("far mass ratio", "far mass without WD ≥ 10 × far mass with WD", ratio if fa > 0 else float("inf"), fb >= 10 * fa and fb > 0),
    ]
    frames = {"annealed weight decay": a.metrics, "no weight decay (λ = 0)": b.metrics}
    tol = a.config.metrics.mass_tol
    figs = {
        "far_mass": plot("compare_curves", frames, "far_mass", "far mass", "E2: far mass, with and without weight decay", hline=tol, hlabel=f"tolerance {tol:g}"),
        "loss": plot("compare_curves", frames, "population_loss", "population loss L(θ)", "E2: population loss, with and without weight decay"),
    }
    captions = {"far_mass": "Mass of the neurons farther than δ from every teacher, both runs from the same stage-2 output.",
                "loss": "Exact population loss of both runs."}
    table = pd.concat([a.metrics.assign(run="weight_decay"), b.metrics.assign(run="no_weight_decay")], ignore_index=True)
    return ExperimentResult("E2", "", size, claims, table, figs, captions)
