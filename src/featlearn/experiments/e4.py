r"""E4: end-to-end three stages (empirical mode) vs RF ridge, NTK-KRR and NNGP-KRR at equal n.

Every method sees the same n noisy training samples; the baselines' ridge parameters are chosen on a
validation split of those samples (20 % held out, `featlearn.baselines.choose_alpha`; then refitted on all
n), as a practitioner would (DESIGN §7.7). The table also keeps the oracle choice by test risk
(`test_loss_oracle`, which can only favour the kernels) for comparison. Test losses are the
excess risk ½E[(f̂ − f*)²]: exact for the network and for RF ridge (both are networks), Monte Carlo on
n_test fresh points (± standard error) for KRR.
"""

from __future__ import annotations

import jax
import numpy as np
import pandas as pd

from featlearn.baselines import RandomFeaturesRidge, choose_alpha, mc_test_risk, nngp_krr, ntk_krr
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
            rf = lambda Xf, yf, a: RandomFeaturesRidge(spec["rf_features"], alpha=a, activation=act, seed=n).fit(Xf, yf)  # noqa: E731
            chosen = choose_alpha(rf, X, y, spec["rf_alphas"], seed=d + n)
            oracle = min(float(rf(X, y, a).population_excess_loss(teacher)) for a in spec["rf_alphas"])
            rows.append({"d": d, "n": n, "method": "RF ridge", "test_loss": float(chosen.model.population_excess_loss(teacher)), "stderr": 0.0,
                         "alpha": chosen.alpha, "test_loss_oracle": oracle})
            for name, fit in (("NTK-KRR", ntk_krr), ("NNGP-KRR", nngp_krr)):
                chosen = choose_alpha(fit, X, y, spec["alphas"], seed=d + n)
                risk = mc_test_risk(chosen.model.predict, teacher, act, spec["n_test"], key)
                oracle = min(mc_test_risk(fit(X, y, a).predict, teacher, act, spec["n_test"], key).estimate for a in spec["alphas"])
                rows.append({"d": d, "n": n, "method": name, "test_loss": risk.estimate, "stderr": risk.standard_error, "alpha": chosen.alpha,
                             "test_loss_oracle": oracle})
    df = pd.DataFrame(rows)
    claims = []
    n_max = max(spec["ns"])
    for d in spec["dims"]:
        at = df[(df.d == d) & (df.n == n_max)].set_index("method")
        nn = float(at.loc["three-stage NN", "test_loss"])
        kern = at.drop(index="three-stage NN")
        best_kernel = float(kern["test_loss"].min())
        best_oracle = float(kern["test_loss_oracle"].min())
        claims.append(Claim(f"NN beats kernels at d={d}", f"NN test loss ≤ 0.1 × best kernel baseline at n = {n_max} (ridge chosen on a validation split)",
                            {"nn": nn, "best_kernel": best_kernel, "ratio": nn / best_kernel, "best_kernel_oracle": best_oracle,
                             "ratio_oracle": nn / best_oracle}, nn <= 0.1 * best_kernel))
    figs = {f"test_loss_d{d}": plot("methods_vs_n", df[df.d == d], f"E4: test loss vs n (d = {d}, noise s = {spec['noise_std']})")
            for d in spec["dims"]}
    captions = {f"test_loss_d{d}": f"Excess test loss ½E[(f̂ − f*)²] against the number of samples n at d = {d}; ridge parameters chosen on a 20 % validation split; error bars: Monte-Carlo standard errors (KRR)."
                for d in spec["dims"]}
    return ExperimentResult("E4", "", size, claims, df, figs, captions)
