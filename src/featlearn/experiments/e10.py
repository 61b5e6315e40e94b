r"""E10: the loss threshold ε₀ below which annealed weight decay converges locally.

For each problem size (d, m*, width m = 2m*, orthonormal teachers with alternating signs a*_i = ±1, relu_trim)
and each level, `seeds` near-teacher starts (`init.kind: near_teacher`, far = 0): neuron j belongs to teacher
j mod m*, its direction is the teacher's turned by a uniform random angle in [0, angle_deg], the teacher's
mass times `mass_scale` is split at random among its neurons. A level is an angle (mass_scale 1) or a pair
[angle, mass_scale]: relu_trim is even, so 90° is the farthest direction, and the levels past it scale the
mass at 89° to reach larger losses. L₀ is each start's exact population loss. Every start then runs
the same annealed weight-decay schedule with a fixed step budget (`stage`: epochs × steps_per_epoch, an epoch
ending early once converged), and success is the tool's `recovered` (every teacher matched within δ in angle
and 1e-3 in mass, far mass ≤ 1e-3).

The threshold: `featlearn.fits.threshold` fits P(success | L₀) = 1/(1 + exp((log₁₀ L₀ − log₁₀ ε₀)/s)) to the
per-seed trials of a size, ε₀ with a 95% bootstrap interval and the width of the transition, the decades of L₀
from P = 0.9 to P = 0.1. Claims: below ε₀/`below` the success fraction is ≥ `min_success` at every size
(success → 1 below the threshold); the width is ≤ `max_width_decades` (the transition is sharp).

What the threshold is here. In the population setting with orthonormal teachers and m ≥ m* the near-teacher
family lies in the basin: with the full schedule (`control_steps_per_epoch`) the largest angle recovers for
every seed (the third claim). relu_trim is even, so a direction at angle θ is the feature at angle 180° − θ
and 90° is the farthest start. ε₀ is therefore the loss below which the *local* rate suffices: the number of
steps the local analysis budgets. Far neurons (mass in directions away from every teacher) are not an axis of
this experiment: weight decay removes them at a rate ∝ λ, so within the budget any far mass above the 1e-3
tolerance fails whatever L₀ is, which would measure the elimination time rather than the threshold.

The sizes have m* ≥ 4. At m* = 2 (m = 4) the transition is broader: measured at d = 8 with 16 seeds on the
small levels, ε₀ = 0.070 [0.054, 0.094] and width 1.2 [0.9, 1.5] decades (m* = 4 on the same levels: 0.5
[0.33, 0.65]). With four neurons one neuron's angle dominates both L₀ and the outcome, so L₀ predicts success
less sharply; the transition narrows as m* grows, the more neurons share L₀.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from featlearn.experiments.base import Claim, Context, ExperimentResult
from featlearn.fits import threshold
from featlearn.objective import population_loss
from featlearn.records import plot


def levels(spec: dict) -> list[tuple[float, float]]:
    """The spec's levels as (angle_deg, mass_scale): a number is an angle at mass_scale 1."""
    return [(float(v), 1.0) if isinstance(v, (int, float)) else (float(v[0]), float(v[1])) for v in spec["levels"]]


def _config(size: dict, angle: float, stage: dict, name: str, mass_scale: float = 1.0) -> dict:
    a_star = [(-1.0) ** i for i in range(size["m_star"])]
    return {"name": name, "teacher": {"d": size["d"], "m_star": size["m_star"], "activation": "relu_trim", "a_star": a_star,
                                      "directions": "orthonormal"},
            "student": {"m": size["m"]}, "init": {"kind": "near_teacher", "angle_deg": float(angle), "far": 0,
                                                            "mass_scale": float(mass_scale)},
            "stages": [dict(stage)], "log_every": 25, "checkpoint_every": 1000}


def label(size: dict) -> str:
    return f"d={size['d']}, m*={size['m_star']}"


def trials(results) -> list[dict]:
    """Per seed: the initial population loss, success and final loss of a batch of runs."""
    out = []
    for r in results:
        act = r.config.teacher.activation
        out.append({"seed": int(r.summary["seed"]), "L0": float(population_loss(r.init, r.teacher, act)),
                    "recovered": bool(r.summary["recovered"]), "final_loss": float(r.summary["final_population_loss"])})
    return out


def run(spec: dict, size: str, ctx: Context) -> ExperimentResult:
    seeds = list(range(int(spec["seeds"])))
    rows, per_seed, thresholds, fits = [], [], {}, {}
    for sz in spec["sizes"]:
        g = label(sz)
        for ang, ms in levels(spec):
            name = f"E10-{size}-d{sz['d']}-m{sz['m_star']}-a{ang:g}" + (f"-s{ms:g}" if ms != 1.0 else "")
            tr = trials(ctx.run_seeds(_config(sz, ang, spec["stage"], name, ms), seeds))
            L0 = np.array([t["L0"] for t in tr])
            ok = np.array([t["recovered"] for t in tr])
            per_seed += [{"size": g, "angle_deg": ang, "mass_scale": ms, **t} for t in tr]
            rows.append({"size": g, "d": sz["d"], "m_star": sz["m_star"], "angle_deg": ang, "mass_scale": ms, "L0_median": float(np.median(L0)),
                         "L0_min": float(L0.min()), "L0_max": float(L0.max()), "success": float(ok.mean()), "seeds": len(tr)})
        trial = pd.DataFrame([t for t in per_seed if t["size"] == g])
        try:
            fits[g] = threshold(trial["L0"], trial["recovered"])
            thresholds[g] = fits[g].as_dict()
        except ValueError as e:
            fits[g] = str(e)
    table = pd.DataFrame(rows)
    trials_df = pd.DataFrame(per_seed)
    for col in ("eps0", "eps0_low", "eps0_high", "width_decades"):
        table[col] = np.nan
    for g, t in thresholds.items():
        table.loc[table["size"] == g, ["eps0", "eps0_low", "eps0_high", "width_decades"]] = [t["x0"], t["low"], t["high"], t["width_decades"]]

    below, sharp = {}, {}
    for g, f in fits.items():
        if isinstance(f, str):
            below[g] = {"error": f}
            sharp[g] = {"error": f}
            continue
        d = trials_df[(trials_df["size"] == g) & (trials_df["L0"] <= f.x0 / spec["below"])]
        below[g] = {"eps0": f.x0, "trials": int(len(d)), "success": float(d["recovered"].mean()) if len(d) else None}
        sharp[g] = {"width_decades": f.width_decades, "interval": [f.width_low, f.width_high]}
    ok_below = all(v.get("success") is not None and v["trials"] >= 8 and v["success"] >= spec["min_success"] for v in below.values())
    ok_sharp = all("error" not in v and v["width_decades"] <= spec["max_width_decades"] for v in sharp.values())

    control = {}
    for sz in spec["sizes"]:
        stage = {**spec["stage"], "steps_per_epoch": int(spec["control_steps_per_epoch"])}
        ang = max(a for a, ms in levels(spec) if ms == 1.0)
        tr = trials(ctx.run_seeds(_config(sz, ang, stage, f"E10-{size}-control-d{sz['d']}-m{sz['m_star']}"), seeds))
        control[label(sz)] = {"angle_deg": ang, "mass_scale": 1.0, "recovered": int(sum(t["recovered"] for t in tr)), "of": len(tr)}
    claims = [
        Claim("success → 1 below ε₀", f"success fraction ≥ {spec['min_success']:g} over the seeds with L₀ ≤ ε₀/{spec['below']:g} (≥ 8 of them) at every size",
              below, ok_below),
        Claim("sharp transition", f"P(success) from 0.9 to 0.1 within {spec['max_width_decades']:g} decade(s) of L₀ (logistic fit) at every size", sharp, ok_sharp),
        Claim("the basin holds the largest angle", f"with {spec['control_steps_per_epoch']} steps per epoch every start of the largest angle recovers "
              "(ε₀ is the threshold of the local rate, not of the basin)", control, all(c["recovered"] == c["of"] for c in control.values())),
    ]
    budget = spec["stage"]["epochs"] * spec["stage"]["steps_per_epoch"]
    figs = {"success_vs_L0": plot("success_vs_level", table, "L0_median", "success", "size", thresholds, "initial population loss L₀ (median of the level)",
                                  "fraction recovered", f"E10: recovery within {budget} steps against the initial loss")}
    moves = "; ".join(f"{g}: ε₀ = {t['x0']:.3g} [{t['low']:.3g}, {t['high']:.3g}], width {t['width_decades']:.2f} decades" for g, t in thresholds.items())
    captions = {"success_vs_L0": f"Fraction of {len(seeds)} seeds recovering the teacher within a budget of {budget} steps of annealed weight decay, "
                                 f"against the median initial loss of each angle level, with the logistic fit to the per-seed trials and ε₀ (dotted). {moves}."}
    return ExperimentResult("E10", "", size, claims, table, figs, captions)
