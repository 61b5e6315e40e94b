"""E6: the descent direction of the local analysis, on random near-teacher probes and in d = 2."""

from __future__ import annotations

import jax
import pandas as pd

from featlearn.config.schema import NearTeacherInit
from featlearn.diagnostics import descent_direction, descent_fraction
from featlearn.experiments.base import Claim, Context, ExperimentResult
from featlearn.records import plot
from featlearn.teacher import make_teacher
from featlearn.train.init import near_teacher


def run(spec: dict, size: str, ctx: Context) -> ExperimentResult:
    act = spec["activation"]
    key = jax.random.PRNGKey(0)
    a_star = [(-1.0) ** i for i in range(spec["m_star"])]
    teacher = make_teacher(spec["d"], spec["m_star"], key, a_star=a_star, activation=act)
    fr = descent_fraction(teacher, act, jax.random.fold_in(key, 1), lams=spec["lams"], angles_deg=spec["angles_deg"], n_probes=spec["n_probes"])
    rows = []
    for il, lam in enumerate(fr.lams):
        for ja, ang in enumerate(fr.angles_deg):
            rows.append({"lam": float(lam), "angle_deg": float(ang), "frac_in_regime": float(fr.frac_in_regime[il, ja]),
                         "frac_holds": float(fr.frac_holds[il, ja]), "frac_inner_positive": float(fr.frac_inner_positive[il, ja]),
                         "min_ratio": float(fr.min_ratio[il, ja]), "n_probes": fr.n_probes})
    df = pd.DataFrame(rows)
    local = df[df.angle_deg <= 5.0]
    holds = local.frac_holds.dropna()
    claims = [
        Claim("descent inequality", "⟨∇L_λ, θ−θ̃⟩ ≥ L_λ(θ) − L_λ(θ̃) on every in-regime probe within 5°",
              {"min_frac_holds": float(holds.min()) if len(holds) else None, "min_ratio": float(local.min_ratio.min())}, bool(len(holds) and holds.min() == 1.0)),
        Claim("regime is populated", "some probes within 5° are in the regime L_λ(θ) > L_λ(θ̃) at every λ",
              {f"{lam:g}": float(g.frac_in_regime.mean()) for lam, g in local.groupby("lam")}, bool((local.groupby("lam").frac_in_regime.max() > 0).all())),
    ]
    pic = spec["picture"]
    t2 = make_teacher(2, 2, key, a_star=pic["a_star"], directions=[[1.0, 0.0], [0.0, 1.0]], activation=act)
    net = near_teacher(jax.random.fold_in(key, 3), t2, 8, NearTeacherInit(angle_deg=pic["angle_deg"], far=2, far_mass=0.05))
    check = descent_direction(net, t2, act, pic["lam"], delta_deg=pic["angle_deg"] + 1.0)
    figs = {
        "descent_2d": plot("descent_picture_2d", net, t2, check, even=True, title=f"E6: descent direction in d = 2 (λ = {pic['lam']:g})"),
        "fraction": plot("descent_fraction_plot", fr, title=f"E6: descent direction over {fr.n_probes} random probes per cell (d = {spec['d']})"),
    }
    captions = {"descent_2d": "d = 2: neurons (area ∝ mass, colour = sign), teachers, and the arrows of −∇L_λ and of θ̃ − θ (paper Fig. 1).",
                "fraction": "Left: fraction of probes in the regime and fraction satisfying the inequality, vs probe angle, per λ. Right: smallest ratio ⟨∇L_λ, θ−θ̃⟩ / (L_λ(θ) − L_λ(θ̃)) (≥ 1 needed)."}
    return ExperimentResult("E6", "", size, claims, df, figs, captions)
