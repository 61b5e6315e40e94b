r"""E9: information exponent and the one large step.

Single-index targets f*(x) = He_k(w*·x)/√k! for k = k* ∈ {1, 2, 3} and a student whose σ has every
Hermite order up to 4. From the symmetric initialisation with unit-norm rows (f ≡ 0), the first-layer
gradient of neuron w is −a E[f*(x) σ'(w·x) x], whose component along w* is ∝ (w·w*)^{k*−1} ≈ d^{−(k*−1)/2}
for a random start, while the sampling noise of an n₁-sample estimate is ≈ √(d/n₁). The normalised step
therefore lands on w* when n₁ ≫ d^{k*}: at n₁ ≍ d², k* ≤ 2 is learned and k* = 3 is not.

The measured quantity is the median over neurons of ‖P_S ŵ_j‖ after the step (S = span(w*)), mean over
seeds; the population gradient (n₁ = ∞) is the reference level.
"""

from __future__ import annotations

import jax
import numpy as np
import pandas as pd

from featlearn.config import RunConfig
from featlearn.config.schema import SymmetricInit
from featlearn.config.stages import OneStep
from featlearn.diagnostics import subspace_fraction
from featlearn.experiments.base import Claim, Context, ExperimentResult
from featlearn.records import plot
from featlearn.train.init import initialise
from featlearn.train.problem import INIT, STAGE0, Problem, Static, build_problem
from featlearn.train.stages.one_step import one_step


def _fraction(d, target, student, m, seed, n1=None) -> float:
    cfg = RunConfig.model_validate({"seed": seed, "teacher": {"d": d, "m_star": 1, "a_star": [1.0], "activation": {"hermite": target}},
                                    "student": {"m": m, "activation": {"hermite": student}, "head": False},
                                    "init": {"kind": "symmetric", "scale": 1.0}, "stages": [{"kind": "one_step"}]})
    static = Static.from_config(cfg)
    if n1 is not None:
        static = Static(**{**static.__dict__, "mode": "empirical"})
    problem: Problem = build_problem(cfg, seed)
    params = initialise(SymmetricInit(scale=1.0), problem, static, jax.random.fold_in(problem.key, INIT))
    params, _ = one_step(params, jax.random.fold_in(problem.key, STAGE0), problem, static, OneStep(n=n1))
    return float(np.median(np.asarray(subspace_fraction(params.W, problem.teacher.W))))


def run(spec: dict, size: str, ctx: Context) -> ExperimentResult:
    rows = []
    targets = {int(k): v for k, v in spec["targets"].items()}
    for k, target in targets.items():
        for d in spec["dims"]:
            for seed in spec["seeds"]:
                rows.append({"k_star": k, "mode": "population", "d": d, "n1": np.nan, "ratio": np.nan, "seed": seed,
                             "median_fraction": _fraction(d, target, spec["student"], spec["m"], seed)})
                for ratio in spec["ratios"]:
                    n1 = max(int(round(ratio * d * d)), 2)
                    rows.append({"k_star": k, "mode": "empirical", "d": d, "n1": n1, "ratio": ratio, "seed": seed,
                                 "median_fraction": _fraction(d, target, spec["student"], spec["m"], seed, n1)})
    df = pd.DataFrame(rows)
    emp = df[df["mode"] == "empirical"].groupby(["k_star", "d", "ratio"], as_index=False)["median_fraction"].mean()
    pop = df[df["mode"] == "population"].groupby(["k_star", "d"])["median_fraction"].mean()
    top, d_max = max(spec["ratios"]), max(spec["dims"])

    def at(k, d, r):
        return float(emp[(emp.k_star == k) & (emp.d == d) & (emp.ratio == r)]["median_fraction"].iloc[0])

    judge = float(spec["judge_ratio"])  # n₁ = judge · d²: "n₁ ≍ d²" for the k* = 3 claims
    learned = {k: at(k, d_max, top) for k in targets}
    spread2 = max(max(at(2, d, r) for d in spec["dims"]) - min(at(2, d, r) for d in spec["dims"]) for r in spec["ratios"])
    k3_by_d = {d: at(3, d, judge) for d in spec["dims"]}
    gap = {d: at(2, d, judge) - at(3, d, judge) for d in spec["dims"]}
    claims = [
        Claim("k* = 1 learned", f"median fraction ≥ 0.8 at n₁ = {top:g} d², d = {d_max}", learned[1], learned[1] >= 0.8),
        Claim("k* = 2 learned at n₁ ≍ d²", f"median fraction ≥ 0.8 at n₁ = {top:g} d², d = {d_max}", learned[2], learned[2] >= 0.8),
        Claim("k* = 3 not learned at n₁ ≍ d²", f"at n₁ = {judge:g} d²: k* = 3 fraction ≤ 0.4 at d = {d_max} and ≥ 0.2 below the k* = 2 "
              "fraction at every d", {"k3_at_d_max": round(k3_by_d[d_max], 3), "min_gap_to_k2": round(min(gap.values()), 3)},
              k3_by_d[d_max] <= 0.4 and min(gap.values()) >= 0.2),
        Claim("k* = 2 scales as d²", "spread across d of the k* = 2 fraction at each n₁/d² ≤ 0.2", spread2, spread2 <= 0.2),
        Claim("k* = 3 needs more than d²", f"k* = 3 fraction at n₁ = {judge:g} d² does not grow with d (tolerance 0.05)",
              {str(d): round(v, 3) for d, v in k3_by_d.items()},
              all(k3_by_d[b] <= k3_by_d[a] + 0.05 for a, b in zip(spec["dims"], spec["dims"][1:]))),
    ]
    figs = {"fraction_vs_ratio": plot("panels_by_group", emp, "k_star", "ratio", "median_fraction", "d", "n₁ / d²",
                                      "median subspace fraction ‖P_S ŵ_j‖", "E9: one large step against the information exponent",
                                      panel_title="target He_{}/√k*!  (k* = {})".replace("{}", "{0}", 2))}
    pop_txt = ", ".join(f"k* = {k}: {pop[k].mean():.3f}" for k in targets)
    captions = {"fraction_vs_ratio": "Median over neurons (mean over seeds) of the fraction of each first-layer row along w* after one "
                                     f"normalised gradient step on n₁ samples; one panel per information exponent k*, one curve per d. "
                                     f"With the population gradient (n₁ = ∞) the fraction is {pop_txt} (mean over d). A random unit "
                                     f"vector has fraction ≈ 1/√d."}
    return ExperimentResult("E9", "", size, claims, df, figs, captions)
