r"""E12: sample complexity against kernels — the smallest n reaching test loss ≤ ε, against d.

Target: relu_trim teacher, m* = 2 orthonormal directions, a* = (1, −1), label noise `noise_std`. The
accuracy is a fixed fraction of the target: ε = `eps_fraction` × L(0), where L(0) = ½E[f*²] is the loss
of the zero predictor (relu_trim has no Hermite orders 0 and 1, so E f* = 0 and L(0) is half the
target's variance). Test losses are excess risks ½E[(f̂ − f*)²] as in E4: exact for the network and for RF
ridge, Monte Carlo on `n_test` fresh points for KRR.

Methods, all on the same training set of each (d, n) (seed 0's data; the network's median over `nn_seeds`
seeds, each with its own data):
- the three-stage network in empirical mode (one large first-layer step, second layer, annealed weight
  decay; width `m`);
- RF ridge (random relu_trim features, twice as many as samples up to `rf_max_features`), NTK-KRR and NNGP-KRR (the two-layer ReLU kernels),
  their ridge parameters chosen on a 20 % validation split (`featlearn.baselines.choose_alpha`), never by
  test risk.

n*(d): each method walks the grid n_k = n_min·`grid_ratio`^k (k = 0, 1, …, n ≤ n_max; √2 at size full) until its test loss first
falls to ≤ ε; n* is the log–log interpolation between that grid point and the one before. A method that
never gets there is censored (n* > n_max: a lower bound, drawn but left out of its fit); one already below
ε at n_min is censored too (n* ≤ n_min). The exponent p of n* ∝ d^p is `featlearn.fits.power_law` on the
uncensored points, with its 95 % bootstrap interval.

Theory beside the fits. The Hermite energy of relu_trim is 87.6 % in degree 2, 7.3 % in degree 4, 5.1 %
above, and orthonormal teachers do not mix degrees, so ε = 0.1·L(0) needs all of degree 2 and a third of
degree 4. A rotation-invariant kernel learns degree k with n ≍ d^k samples (Ghorbani et al. 2019): its
n* grows like d⁴ once d is large (d² for the degree-2 part first, so the fitted p lies between 2 and 4 at
these d). The network finds the 2-dimensional teacher subspace in its first step and then fits a
function of 2 variables: Damian et al. (2022) give n ≍ d²r + d·r^p for their algorithm, i.e. p ≤ 2; the
parameter count of the network is ∝ d, p = 1. Claim: the network's fitted exponent is below every
kernel method's (each with at least 3 uncensored dimensions).
"""

from __future__ import annotations

import jax
import numpy as np
import pandas as pd

from featlearn.baselines import RandomFeaturesRidge, choose_alpha, mc_test_risk, nngp_krr, ntk_krr
from featlearn.config import validate
from featlearn.experiments.base import Claim, Context, ExperimentResult
from featlearn.fits import power_law
from featlearn.model import Params
from featlearn.objective import population_loss
from featlearn.records import plot
from featlearn.train.problem import build_problem

NN = "three-stage NN"
KERNELS = ("RF ridge", "NTK-KRR", "NNGP-KRR")


def grid(n_min: int, n_max: int, ratio: float = 2 ** 0.5) -> list[int]:
    """n_min·ratio^k rounded, k = 0, 1, … while ≤ n_max."""
    out, k = [], 0
    while round(n_min * ratio ** k) <= n_max:
        out.append(int(round(n_min * ratio ** k)))
        k += 1
    return out


def rf_features(spec: dict, n: int) -> int:
    """Random features for n samples: `rf_features_per_sample`·n within [256, `rf_max_features`] (RF ridge
    approaches KRR with its kernel only when the features outnumber the samples)."""
    return int(min(max(256, spec["rf_features_per_sample"] * n), spec["rf_max_features"]))


def crossing(ns, losses, eps: float) -> tuple[float, str]:
    """(n*, censoring) from a walk up the grid: the log–log interpolation at the first loss ≤ ε, "" (found),
    ("above": never reached, n* = the last n), ("below": reached at the first n, n* = that n)."""
    ns, losses = np.asarray(ns, float), np.asarray(losses, float)
    hit = np.flatnonzero(losses <= eps)
    if not hit.size:
        return float(ns[-1]), "above"
    i = int(hit[0])
    if i == 0:
        return float(ns[0]), "below"
    l0, l1 = np.log(losses[i - 1]), np.log(max(losses[i], 1e-300))
    t = (l0 - np.log(eps)) / (l0 - l1)
    return float(np.exp(np.log(ns[i - 1]) + t * (np.log(ns[i]) - np.log(ns[i - 1])))), ""


def _config(spec: dict, d: int, n: int, size: str) -> dict:
    return {"name": f"E12-{size}-d{d}-n{n}",
            "teacher": {"d": d, "m_star": 2, "activation": spec["activation"], "a_star": [1.0, -1.0], "noise_std": spec["noise_std"],
                        "directions": "orthonormal"},
            "student": {"m": spec["m"]}, "data": {"mode": "empirical", "n_train": n},
            "stages": [{"kind": "one_step"}, {"kind": "fit_second_layer"}, dict(kind="anneal_weight_decay", **spec["anneal"])],
            "log_every": 100, "checkpoint_every": 100000}


def _kernel_losses(spec: dict, problem, n: int, d: int, methods) -> dict:
    """(test loss, chosen α, standard error) of each kernel method in `methods` on `problem`'s training set."""
    X, y, teacher, act = np.asarray(problem.X), np.asarray(problem.y), problem.teacher, spec["activation"]
    out = {}
    if "RF ridge" in methods:
        rf = lambda Xf, yf, a: RandomFeaturesRidge(rf_features(spec, n), alpha=a, activation=act, seed=n).fit(Xf, yf)  # noqa: E731
        c = choose_alpha(rf, X, y, spec["rf_alphas"], seed=d + n)
        out["RF ridge"] = (float(c.model.population_excess_loss(teacher)), c.alpha, 0.0)
    for name, fit in (("NTK-KRR", ntk_krr), ("NNGP-KRR", nngp_krr)):
        if name in methods:
            c = choose_alpha(fit, X, y, spec["alphas"], seed=d + n)
            risk = mc_test_risk(c.model.predict, teacher, act, spec["n_test"], jax.random.PRNGKey(1000 + n + d))
            out[name] = (float(risk.estimate), c.alpha, float(risk.standard_error))
    return out


def run(spec: dict, size: str, ctx: Context) -> ExperimentResult:
    seeds = list(range(int(spec["nn_seeds"])))
    rows, stars = [], []
    for d in spec["dims"]:
        open_ = {NN, *KERNELS}
        walked = {m: ([], []) for m in open_}
        L0 = None
        for n in grid(spec["n_min"], spec["n_max"], float(spec["grid_ratio"])):
            if not open_:
                break
            cfg = validate(_config(spec, d, n, size))
            problem = build_problem(cfg, 0)  # seed 0's training set: the kernels' data
            if L0 is None:
                t = problem.teacher
                L0 = float(population_loss(Params(0 * t.a, t.W), t, spec["activation"]))
                eps = spec["eps_fraction"] * L0
            if NN in open_:
                losses = [float(r.summary["final_population_loss"]) for r in ctx.run_seeds(cfg, seeds)]
                res = {NN: (float(np.median(losses)), None, 0.0)}
            else:
                res = {}
            res.update(_kernel_losses(spec, problem, n, d, open_ & set(KERNELS)))
            for method, (loss, alpha, stderr) in res.items():
                rows.append({"d": d, "n": n, "method": method, "test_loss": loss, "stderr": stderr, "relative": loss / L0, "alpha": alpha,
                             "eps": eps})
                walked[method][0].append(n)
                walked[method][1].append(loss)
                if loss <= eps:
                    open_.discard(method)
        for method, (ns, losses) in walked.items():
            n_star, cens = crossing(ns, losses, eps)
            stars.append({"d": d, "method": method, "n_star": n_star, "censored": cens, "L0": L0, "eps": eps})
    table = pd.DataFrame(rows)
    star = pd.DataFrame(stars)
    fits, exps = {}, {}
    for method in (NN, *KERNELS):
        ok = star[(star.method == method) & (star.censored == "")]
        if len(ok) >= 3:
            fits[method] = power_law(ok["d"], ok["n_star"])
            exps[method] = {**fits[method].as_dict(), "dims": [int(v) for v in ok["d"]]}
        else:
            exps[method] = {"error": f"{len(ok)} uncensored dimension(s), need 3", "dims": [int(v) for v in ok["d"]]}
    kernel_p = {k: fits[k].slope for k in KERNELS if k in fits}
    passed = NN in fits and len(kernel_p) == len(KERNELS) and all(fits[NN].slope < p for p in kernel_p.values())
    value = {"exponents": exps, "censored": star[star.censored != ""][["d", "method", "n_star", "censored"]].to_dict("records"),
             "theory": {"kernels": "d^2 → d^4 (degree 2, then the degree-4 third ε needs)", "network": "≤ 2 (Damian et al. d²r), 1 by parameter count"}}
    claims = [Claim("the network's exponent is below the kernels'",
                    f"fitted p of n* ∝ d^p (test loss ≤ {spec['eps_fraction']:g}·L(0)): the three-stage network's below RF ridge's, NTK-KRR's and "
                    "NNGP-KRR's, each fitted on ≥ 3 uncensored dimensions", value, bool(passed))]
    series = [{"column": "n_star", "label": f"{m}" + ("" if m in fits else " (no fit)"), "fit": fits[m].as_dict() if m in fits else None,
               "by": "method", "group": m, "censored": "censored"} for m in (NN, *KERNELS)]
    figs = {"n_star_vs_d": plot("fitted_points", star, "d", series, "dimension d", f"n* (test loss ≤ {spec['eps_fraction']:g}·L(0))",
                                "E12: samples to accuracy ε against the dimension", variable="d")}
    for d in spec["dims"]:
        figs[f"test_loss_d{d:02d}"] = plot("methods_vs_n", table[table.d == d],
                                       f"E12: test loss vs n (d = {d}, ε = {spec['eps_fraction']:g}·L(0))",
                                       hline=float(table[table.d == d]["eps"].iloc[0]), hlabel=f"ε = {spec['eps_fraction']:g}·L(0)")
    fitted = "; ".join(f"{m}: p = {fits[m]}" for m in fits)
    cens = "; ".join(f"{r['method']} at d = {r['d']}: n* {'>' if r['censored'] == 'above' else '≤'} {r['n_star']:.0f}"
                     for r in value["censored"]) or "none"
    captions = {"n_star_vs_d": f"Smallest n with test loss ≤ {spec['eps_fraction']:g}·L(0) (log–log interpolation on the grid), against d, with "
                               f"the power-law fits: {fitted}. Censored (hollow triangles, not fitted): {cens}. Theory: kernels d² → d⁴, network ≤ 2."}
    for d in spec["dims"]:
        captions[f"test_loss_d{d:02d}"] = (f"Excess test loss against n at d = {d} up to each method's crossing of ε; ridge parameters chosen on a 20 % "
                                       "validation split; network: median over seeds; error bars: Monte-Carlo standard errors (KRR); dashed: ε.")
    return ExperimentResult("E12", "", size, claims, table.merge(star, on=["d", "method", "eps"], how="left"), figs, captions)
