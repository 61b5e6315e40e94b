"""One conformance table (optax `alias_test.py` style): every registered stage kind × data mode ×
dtype that it supports runs through the same properties: compiles (the driver jits it), ends finite on
an easy problem, keeps the dtype, lowers its objective (for the kinds that minimise one), gives the
same result for a seed batched with another as for the seed alone, and (checked once per kind, in float64
population mode) is deterministic."""

from __future__ import annotations

import numpy as np
import pytest

from featlearn.config import STAGES, validate
from featlearn.train import run, run_seeds

# Stage settings for the easy problem (short); kinds not listed run with their defaults.
SETTINGS = {
    "anneal_weight_decay": {"epochs": 2, "steps_per_epoch": 40, "lr": 0.5},
    "gd": {"steps": 60, "lr": 0.2, "lam": 1e-3},
    "lazy": {"steps": 60, "lr": 0.2},
    "gradient_flow": {"lam0": 1e-3, "epochs": 2, "steps_per_epoch": 3, "dt": 2.0, "rtol": 1e-9, "atol": 1e-11},
    "polish": {"lam": 1e-3},  # with λ = 0 the far neurons make the Hessian degenerate (Newton is then ill-posed)
}
# The one large step is not a descent step on L (it throws the initial weights away): no decrease claim.
MINIMISES = {"one_step": False}
INIT = {"one_step": {"kind": "symmetric"}, "fit_second_layer": {"kind": "near_teacher", "angle_deg": 5.0}}
TOL = {"float64": 1e-10, "float32": 2e-4}
# The float32 ridge solve of fit_second_layer (Gram matrix of neurons clustered near the teachers,
# condition ~1/λ₂) amplifies the batched/unbatched rounding differences of the LU solve to a few 1e-3
# (3.2e-3 with JAX 0.10.2): a float32 property of that solve, not of batching. Solving it in float64
# removes the difference but changed which basin a crowded float32 problem of the robustness grid
# falls into (erf m=16 d=5 m*=6 stopped recovering), so the solve stays in float32.
TOL_F32_SOLVE = {"fit_second_layer": 6e-3}
# An adaptive ODE solver accepts or rejects each step on an error estimate: last-bit differences between
# the batched and the single evaluation of ∇L_λ can flip a decision, which moves the result by up to the
# solver's tolerance (rtol 1e-9 per step here, accumulated over the steps), not by rounding. Newton's
# polish stops anywhere on a manifold of critical points (the flat directions of the mass splits): last-bit
# differences between the batched and the single eigendecomposition move its end point along it.
TOL_ADAPTIVE = {"gradient_flow": {"float64": 1e-7, "float32": 2e-4}, "polish": {"float64": 1e-7}}

CASES = [(kind, mode, dtype) for kind in STAGES.kinds() for mode in STAGES[kind].modes for dtype in ("float64", "float32")]


def _config(kind, mode, dtype, seed=0):
    cfg = {
        "seed": seed, "dtype": dtype, "log_every": 20, "checkpoint_every": 20,
        "teacher": {"d": 4, "m_star": 2, "a_star": [1.0, -1.0]}, "student": {"m": 8},
        "init": INIT.get(kind, {"kind": "near_teacher", "angle_deg": 10.0, "far": 2, "far_mass": 0.05}),
        "stages": [{"kind": kind, **SETTINGS.get(kind, {})}],
    }
    if mode == "empirical":
        cfg["data"] = {"mode": "empirical", "n_train": 400, "n_test": 200}
    return validate(cfg)


@pytest.mark.parametrize("kind, mode, dtype", CASES, ids=["-".join(c) for c in CASES])
def test_stage_conformance(kind, mode, dtype):
    cfg = _config(kind, mode, dtype)
    batched = run_seeds(cfg, [3, 1])
    alone = run(cfg.model_copy(update={"seed": 1}))
    want = np.float64 if dtype == "float64" else np.float32
    for r in (batched[1], alone):
        assert r.summary.status == "ok", r.summary.message
        assert r.params.W.dtype == want and r.params.a.dtype == want
        assert np.all(np.isfinite(np.asarray(r.params.W))) and np.isfinite(r.summary.final_population_loss)
    st = alone.summary.stages[0]
    if MINIMISES.get(kind, True):
        rows = alone.metrics[alone.metrics["stage"] == f"0:{kind}"]
        first, last = (rows["reg_loss"].iloc[0], rows["reg_loss"].iloc[-1]) if len(rows) > 1 else (st["start_loss"], st["end_loss"])
        assert last < first, f"{kind}: objective {first} → {last}"
    tol = TOL_F32_SOLVE.get(kind, TOL[dtype]) if dtype == "float32" else TOL[dtype]
    tol = TOL_ADAPTIVE.get(kind, {}).get(dtype, tol)
    np.testing.assert_allclose(np.asarray(batched[1].params.W), np.asarray(alone.params.W), rtol=0, atol=tol)
    np.testing.assert_allclose(np.asarray(batched[1].params.a), np.asarray(alone.params.a), rtol=0, atol=tol)
    assert batched[1].metrics["step"].tolist() == alone.metrics["step"].tolist()
    if dtype == "float64" and mode == "population":  # determinism: once per kind (runs cost compile time)
        again = run(cfg.model_copy(update={"seed": 1}))
        np.testing.assert_array_equal(np.asarray(again.params.W), np.asarray(alone.params.W))
        assert again.summary.final_population_loss == alone.summary.final_population_loss


def test_table_covers_every_registered_kind():
    assert {c[0] for c in CASES} == set(STAGES.kinds())
    assert len(CASES) >= 2 * len(STAGES.kinds())
