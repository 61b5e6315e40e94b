r"""E13: iterations to accuracy ε of the annealed schedule.

One run of `anneal_weight_decay` (λ_k = λ₀·factor^k, epochs ending once converged) from a start below
the loss threshold. For every ε the number of gradient steps *computed* before the exact population
loss first falls to ≤ ε (read at the end of each chunk of `log_every` steps; steps an epoch skipped
once converged are not counted) and the schedule position reached then.

Expected form: an epoch at λ leaves the bias L(θ_λ) ∝ λ² of E11, so reaching ε takes
k(ε) ≈ log(1/ε) / (2 log(1/factor)) epochs; if each epoch costs a bounded number of steps, the steps grow
like log(1/ε) — polynomial with any exponent > 0. Late epochs converge at a rate ∝ λ (the weight decay
is the curvature of the slow modes), so an epoch may cost up to ∝ 1/λ ∝ ε^{-1/2} steps: the exponent of a
power law in 1/ε lies between 0 and 1/2 in this picture. Both forms are fitted (`featlearn.fits`):
steps = b + p·ln(1/ε) and steps = C·(1/ε)^p; the better one by R² is reported. Claim: the steps are
bounded by a polynomial in 1/ε — the power law's 95% bootstrap interval lies inside [0, 1].
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from featlearn.experiments.base import Claim, Context, ExperimentResult
from featlearn.fits import log_law, power_law
from featlearn.records import plot


def computed_steps(steps: np.ndarray, epoch_length: int) -> np.ndarray:
    """Steps computed up to each logged row of one stage, from the rows' schedule positions (the end of each
    chunk): a chunk that starts a new epoch began at that epoch's boundary (the steps a converged epoch
    skipped are not computed)."""
    steps = np.asarray(steps, np.int64)
    prev = np.concatenate([[0], steps[:-1]])
    start = np.where((prev - 1) // epoch_length == (steps - 1) // epoch_length, prev, (steps - 1) // epoch_length * epoch_length)
    return np.cumsum(steps - np.maximum(start, 0))


def run(spec: dict, size: str, ctx: Context) -> ExperimentResult:
    r = ctx.run(spec["config"])
    st = spec["config"]["stages"][0]
    df = r.metrics
    df = df[df["stage"].astype(str).str.contains("anneal")].sort_values("step")
    done = computed_steps(df["step"].to_numpy(), st["steps_per_epoch"])
    loss = df["population_loss"].to_numpy(float)
    rows = []
    for eps in spec["eps"]:
        hit = np.flatnonzero(loss <= eps)
        i = int(hit[0]) if hit.size else None
        rows.append({"eps": eps, "inv_eps": 1 / eps, "steps": int(done[i]) if i is not None else np.nan,
                     "scheduled": int(df["step"].iloc[i]) if i is not None else np.nan,
                     "lam": float(df["lam"].iloc[i]) if i is not None else np.nan})
    table = pd.DataFrame(rows)
    reached = table.dropna(subset=["steps"])
    claims = [Claim("every ε reached", f"L ≤ ε within the schedule for every ε down to {min(spec['eps']):g}",
                    {"reached": int(len(reached)), "of": int(len(table)), "final_loss": r.summary["final_population_loss"]},
                    len(reached) == len(table))]
    figs, captions = {}, {}
    if len(reached) >= 3:
        pw = power_law(reached["inv_eps"], reached["steps"])
        lg = log_law(reached["inv_eps"], reached["steps"])
        better = "log" if lg.r2 >= pw.r2 else "power"
        claims.append(Claim("steps polynomial in 1/ε", "power-law exponent p (steps ∝ (1/ε)^p) with 95% interval inside [0, 1]",
                            {"power": pw.as_dict(), "log": lg.as_dict(), "better_form": better,
                             "scheduled_power": power_law(reached["inv_eps"], reached["scheduled"]).as_dict()}, bool(pw.low >= 0 and pw.high <= 1)))
        series = [{"column": "steps", "label": "steps computed to L ≤ ε", "fit": pw.as_dict()}]
        figs["steps_vs_eps"] = plot("fitted_points", reached, "inv_eps", series, "1/ε", "gradient steps",
                                    f"E13: steps to accuracy ε ({spec['config']['name']})", variable="1/ε")
        figs["steps_vs_log_eps"] = plot("fitted_points", reached, "inv_eps", [{"column": "steps", "label": "steps computed to L ≤ ε", "fit": lg.as_dict()}],
                                        "1/ε (log axis)", "gradient steps", "E13: the same against ln(1/ε)", logy=False, variable="1/ε")
        captions = {"steps_vs_eps": f"Steps computed until the exact loss first falls to ≤ ε, log–log, with the power-law fit: exponent {pw}.",
                    "steps_vs_log_eps": f"The same steps on a linear axis against log(1/ε), with the fit steps = b + p·ln(1/ε): p = {lg}. "
                                        f"Better form by R²: {better}."}
    else:
        claims.append(Claim("steps polynomial in 1/ε", "at least three ε reached to fit", int(len(reached)), False))
    return ExperimentResult("E13", "", size, claims, table, figs, captions)
