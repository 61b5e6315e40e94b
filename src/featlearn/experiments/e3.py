r"""E3: stage 1 (one large first-layer step) puts the neurons in the teacher subspace.

Subspace fraction of neuron j: ‖P_S ŵ_j‖ with S = span(W*) (1 = entirely in S).
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
from featlearn.train.stages.one_step import one_step
from featlearn.train.problem import INIT, STAGE0, Problem, Static, build_problem


def _median_fraction(d, m_star, m, act, seed, n1=None) -> float:
    cfg = RunConfig.model_validate({"seed": seed, "teacher": {"d": d, "m_star": m_star, "activation": act, "a_star": "alternating"},
                                    "student": {"m": m}, "stages": [{"kind": "one_step"}]})
    static = Static.from_config(cfg)
    if n1 is not None:
        static = Static(**{**static.__dict__, "mode": "empirical"})
    problem: Problem = build_problem(cfg, seed)
    params = initialise(SymmetricInit(), problem, static, jax.random.fold_in(problem.key, INIT))
    params, _ = one_step(params, jax.random.fold_in(problem.key, STAGE0), problem, static, OneStep(n=n1))
    return float(np.median(np.asarray(subspace_fraction(params.W, problem.teacher.W))))


def run(spec: dict, size: str, ctx: Context) -> ExperimentResult:
    rows = []
    for d in spec["dims"]:
        for seed in spec["seeds"]:
            rows.append({"mode": "population", "d": d, "n1": np.nan, "ratio": np.nan, "seed": seed,
                         "median_fraction": _median_fraction(d, spec["m_star"], spec["m"], spec["activation"], seed)})
            for ratio in spec["ratios"]:
                n1 = max(int(round(ratio * d * d)), 2)
                rows.append({"mode": "empirical", "d": d, "n1": n1, "ratio": ratio, "seed": seed,
                             "median_fraction": _median_fraction(d, spec["m_star"], spec["m"], spec["activation"], seed, n1)})
    df = pd.DataFrame(rows)
    pop = df[df["mode"] == "population"].groupby("d")["median_fraction"].median()
    emp = df[df["mode"] == "empirical"].groupby(["d", "ratio"])["median_fraction"].mean().unstack("d")
    d_max = max(spec["dims"])
    grows = bool(all(np.all(np.diff(emp[d].to_numpy()) >= -0.03) for d in emp.columns)) and bool((emp.iloc[-1] > emp.iloc[0] + 0.2).all())
    spread = float((emp.max(axis=1) - emp.min(axis=1)).max())
    claims = [
        Claim("population fraction", f"median subspace fraction ≥ 0.9 at d = {d_max}", float(pop[d_max]), float(pop[d_max]) >= 0.9),
        Claim("grows with n₁", "for every d the mean fraction is non-decreasing in n₁ (tolerance 0.03) and gains > 0.2 over the range",
              {str(d): [round(x, 3) for x in emp[d]] for d in emp.columns}, grows),
        Claim("collapse in n₁/d²", f"max over n₁/d² of the spread across d ≤ {spec['collapse_tol']}", spread, spread <= spec["collapse_tol"]),
    ]
    figs = {"fraction_vs_ratio": plot("collapse_plot", emp, pop, "n₁ / d²", "median subspace fraction ‖P_S ŵ_j‖",
                                                                "E3: stage-1 subspace fraction against n₁/d²")}
    captions = {"fraction_vs_ratio": "Median over neurons (mean over seeds) of the fraction of each first-layer row in span(W*) after the one large step; one curve per d (empirical, n₁ samples); dashed: population gradient."}
    return ExperimentResult("E3", "", size, claims, df, figs, captions)
