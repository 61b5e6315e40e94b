r"""E11: the bias of weight decay — the minimiser of L_λ for a fixed λ, against λ.

Derivation of the predicted slopes. L_λ(θ) = L(θ) + (λ/2)‖θ‖². Let θ₀ be the minimum-norm point of the
zero-loss set of a realisable teacher (balanced neurons on the teacher directions, masses a*_i). Near it
L(θ) = ½ (θ − θ₀)ᵀ H (θ − θ₀) + O(‖θ − θ₀‖³) with H the Gauss–Newton matrix. The minimiser θ_λ solves
∇L(θ_λ) = −λ θ_λ, so H(θ_λ − θ₀) = −λ θ₀ + O(λ²): θ_λ − θ₀ = −λ H⁺θ₀ + O(λ²) (θ₀ has no component along
the flat directions of H, since it has the least norm on the zero-loss set), and

    L(θ_λ) = ½ λ² θ₀ᵀ H⁺ θ₀ + O(λ³)          (slope 2 on log–log axes),
    ‖θ_λ − θ₀‖ ∝ λ, so the signed masses M_i = a*_i − O(λ)     (slope 1).

In the measure view (DESIGN §1.4) the same reads: the first-order condition of min L(μ) + λ|μ| is
E[(f_μ − f*)(x) σ(w·x)] = −λ sign(a_i) on the support, so the residual f_μ − f* is O(λ) in L², the loss
O(λ²). One neuron on one teacher shows it in closed form: c minimising ½k(c − a*)² + λ|c| is
c = a* − λ sign(a*)/k, with loss λ²/(2k).

Each λ runs GD on L_λ (fixed λ) from a start near the teacher, then `polish` (Newton on L_λ) to
‖∇L_λ‖ ≤ 1e-12, so the point measured is the minimiser, not a GD iterate. The fits are least squares on
logs with bootstrap intervals (`featlearn.fits.power_law`). Claim: each fitted slope is within
`slope_tol` of its prediction (or its interval contains it): the O(λ³) term bends the curve by a relative
O(λ), more than the bootstrap interval of nearly exact points can cover.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from featlearn.experiments.base import Claim, Context, ExperimentResult
from featlearn.fits import power_law
from featlearn.records import plot


def _mass_error(summary) -> float:
    return float(sum(abs(t["signed_mass"] - t["a_star"]) for t in summary["per_teacher"]))


def run(spec: dict, size: str, ctx: Context) -> ExperimentResult:
    rows = []
    for lam in spec["lams"]:
        cfg = dict(spec["base"], name=f"E11-{size}-lam{lam:g}",
                   stages=[{"kind": "gd", "lam": lam, "steps": spec["gd_steps"]}, {"kind": "polish", "tol": 1e-12}])
        r = ctx.run(cfg)
        cp = r.summary["critical_point"] or {}
        rows.append({"lam": lam, "excess_loss": r.summary["final_population_loss"], "mass_error": _mass_error(r.summary),
                     "max_angle_deg": r.summary["max_angle_deg"], "grad_norm": cp.get("grad_norm"), "verdict": cp.get("verdict"),
                     "status": r.summary["status"]})
    df = pd.DataFrame(rows)
    loss_fit = power_law(df["lam"], df["excess_loss"])
    mass_fit = power_law(df["lam"], df["mass_error"])
    tol = spec["slope_tol"]
    critical = df["grad_norm"].notna() & (df["grad_norm"].fillna(np.inf) <= 1e-9)

    def near(fit, want):
        return fit.contains(want) or abs(fit.slope - want) <= tol

    claims = [
        Claim("every point is the minimiser of its L_λ", "status ok and ‖∇L_λ‖ ≤ 1e-9 after polish at every λ",
              {"max_grad_norm": float(df["grad_norm"].max()) if df["grad_norm"].notna().any() else None,
               "verdicts": sorted(set(map(str, df["verdict"])))}, bool(critical.all() and (df["status"] == "ok").all())),
        Claim("excess loss ∝ λ²", f"fitted slope of log L(θ_λ) vs log λ within {tol} of 2 or its interval contains 2",
              loss_fit.as_dict(), near(loss_fit, 2.0)),
        Claim("mass error ∝ λ", f"fitted slope of log Σ|M_i − a*_i| vs log λ within {tol} of 1 or its interval contains 1",
              mass_fit.as_dict(), near(mass_fit, 1.0)),
    ]
    series = [{"column": "excess_loss", "label": "excess loss L(θ_λ) (predicted slope 2)", "fit": loss_fit.as_dict()},
              {"column": "mass_error", "label": "mass error Σ|M_i − a*_i| (predicted slope 1)", "fit": mass_fit.as_dict()}]
    figs = {"bias_vs_lambda": plot("fitted_points", df, "lam", series, "weight decay λ (fixed)", "at the minimiser of L_λ",
                                   f"E11: the bias of weight decay (d = {spec['base']['teacher']['d']}, m* = {spec['base']['teacher']['m_star']})",
                                   variable="λ")}
    captions = {"bias_vs_lambda": "Excess population loss and total signed-mass error of the minimiser of L_λ (GD then Newton to "
                "‖∇L_λ‖ ≤ 1e-12) against λ, with least-squares fits on logs and their 95% bootstrap intervals of the slope. "
                f"Loss slope {loss_fit}; mass-error slope {mass_fit}."}
    return ExperimentResult("E11", "", size, claims, df.assign(fit_loss_slope=loss_fit.slope, fit_mass_slope=mass_fit.slope), figs, captions)
