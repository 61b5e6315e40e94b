"""E7: λ too big / too small; annealing vs every fixed λ at the same number of steps."""

from __future__ import annotations

import pandas as pd

from featlearn.experiments.base import Claim, Context, ExperimentResult
from featlearn.records import plot


def run(spec: dict, size: str, ctx: Context) -> ExperimentResult:
    an = spec["anneal"]
    steps = an["epochs"] * an["steps_per_epoch"]
    annealed = ctx.run(dict(spec["base"], stages=[dict(kind="anneal_weight_decay", **an)]))
    rows = []
    for lam in spec["lams"]:
        cfg = dict(spec["base"], name=f"{spec['base']['name']}-fixed", stages=[{"kind": "gd", "lr": an["lr"], "lam": lam, "steps": steps}])
        r = ctx.run(cfg)
        rows.append({"lam": lam, "final_population_loss": r.summary["final_population_loss"], "far_mass": r.summary["far_mass"], "recovered": r.summary["recovered"]})
    df = pd.DataFrame(rows)
    best = df["final_population_loss"].min()
    ann = annealed.summary["final_population_loss"]
    claims = [Claim("annealing beats every fixed λ", f"annealed final loss < min over fixed λ ∈ {spec['lams']} ({steps} steps each)",
                    {"annealed": ann, "best_fixed": best, "best_fixed_lam": float(df.loc[df['final_population_loss'].idxmin(), 'lam'])}, ann < best)]
    plot_df = df[df["lam"] > 0]
    figs = {"final_loss_vs_lambda": plot("final_vs_parameter", 
        plot_df, "lam", "final_population_loss", "fixed weight decay λ", "final population loss",
        f"E7: final loss after {steps} steps", hline=ann, hlabel="annealed λ")}
    zero = df[df["lam"] == 0]
    captions = {"final_loss_vs_lambda": "Final exact population loss of GD with each fixed λ (points) and of the annealed schedule (red line), same start and steps."
                + (f" λ = 0 (not on the log axis) ends at {float(zero['final_population_loss'].iloc[0]):.3g}." if len(zero) else "")}
    table = pd.concat([df.assign(schedule="fixed"), pd.DataFrame([{"lam": float("nan"), "final_population_loss": ann, "far_mass": annealed.summary["far_mass"],
                                                                   "recovered": annealed.summary["recovered"], "schedule": "annealed"}])], ignore_index=True)
    return ExperimentResult("E7", "", size, claims, table, figs, captions)
