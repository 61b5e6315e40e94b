r"""E4: end-to-end three stages (empirical mode) vs RF ridge, NTK-KRR and NNGP-KRR at equal n.

Every method sees the same n noisy training samples; the kernel methods' ridge parameters are chosen
by their test risk over a small grid (an oracle choice that can only favour them). Test losses are the
excess risk ½E[(f̂ − f*)²]: exact for the network and for RF ridge (both are networks), Monte Carlo on
n_test fresh points (± standard error) for KRR.
"""

from __future__ import annotations

import jax
import numpy as np
import pandas as pd

from featlearn.baselines import RandomFeaturesRidge, mc_test_risk, nngp_krr, ntk_krr
from featlearn.experiments.base import Claim, Context, ExperimentResult
from featlearn.records import plot
from featlearn.train.problem import build_problem


def _nn(spec, d, n, ctx: Context, seed=0):
    cfg = {"name": f"E4-d{d}-n{n}", "seed": seed,
           "teacher": {"d": d, "m_star": spec["m_star"], "activation": spec["activation"], "a_star": spec["a_star"], "noise_std": spec["noise_std"]},
           "student": {"m": spec["m"]}, "data": {"mode": "empirical", "n_train": n},
           "stages": [{"kind": "one_step"}, {"kind": "fit_second_layer"}, dict(kind="anneal_weight_decay", **spec["anneal"])]}
    return ctx.run(cfg)


def run(spec: dict, size: str, ctx: Context) -> ExperimentResult:
    rows = []
    for d in spec["dims"]:
        for n in spec["ns"]:
            r = _nn(spec, d, n, ctx)
            teacher, act = r.teacher, spec["activation"]
            problem = build_problem(r.config, r.config.seed)  # the same training set the network saw
            X, y = np.asarray(problem.X), np.asarray(problem.y)
            rows.append({"d": d, "n": n, "method": "three-stage NN", "test_loss": r.summary["final_population_loss"], "stderr": 0.0})
            key = jax.random.PRNGKey(1000 + n + d)
            best = min((RandomFeaturesRidge(spec["rf_features"], alpha=a, activation=act, seed=n).fit(X, y).population_excess_loss(teacher), a)
                       for a in spec["rf_alphas"])
            rows.append({"d": d, "n": n, "method": "RF ridge", "test_loss": float(best[0]), "stderr": 0.0, "alpha": best[1]})
            for name, fit in (("NTK-KRR", ntk_krr), ("NNGP-KRR", nngp_krr)):
                risks = []
                for a in spec["alphas"]:
                    model = fit(X, y, a)
                    risk = mc_test_risk(model.predict, teacher, act, spec["n_test"], key)
                    risks.append((risk.estimate, risk.standard_error, a))
                est, se, a = min(risks)
                rows.append({"d": d, "n": n, "method": name, "test_loss": est, "stderr": se, "alpha": a})
    df = pd.DataFrame(rows)
    claims = []
    n_max = max(spec["ns"])
    for d in spec["dims"]:
        at = df[(df.d == d) & (df.n == n_max)].set_index("method")
        nn = float(at.loc["three-stage NN", "test_loss"])
        kern = at.drop(index="three-stage NN")
        best_kernel = float((kern["test_loss"] + kern["stderr"].fillna(0) * 0).min())
        claims.append(Claim(f"NN beats kernels at d={d}", f"NN test loss ≤ 0.1 × best kernel baseline at n = {n_max}",
                            {"nn": nn, "best_kernel": best_kernel, "ratio": nn / best_kernel}, nn <= 0.1 * best_kernel))
    figs = {f"test_loss_d{d}": plot("methods_vs_n", df[df.d == d], f"E4: test loss vs n (d = {d}, noise s = {spec['noise_std']})")
            for d in spec["dims"]}
    captions = {f"test_loss_d{d}": f"Excess test loss ½E[(f̂ − f*)²] against the number of samples n at d = {d}; error bars: Monte-Carlo standard errors (KRR)."
                for d in spec["dims"]}
    return ExperimentResult("E4", "", size, claims, df, figs, captions)
