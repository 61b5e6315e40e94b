"""A stage kind registered from outside the package goes through config validation, the driver, the
summary (its λ) and a sweep, with nothing else changed: the registry is the only table."""

from __future__ import annotations

from typing import Literal

import jax
import jax.numpy as jnp
import pandas as pd
import pytest

from featlearn.config import STAGES, ConfigError, StageSpec, register_stage, unregister_stage, validate
from featlearn.config.base import PosFloat, PosInt, Strict
from featlearn.train import run
from featlearn.train.iterative import Iterative, StepInfo, tree_norm
from featlearn.train.problem import training_loss


class ToyDecay(Strict):
    """GD with a fixed λ, spelled out by hand (a user's stage)."""

    kind: Literal["toy_decay"] = "toy_decay"
    lr: PosFloat = 0.5
    lam: PosFloat = 1e-3
    steps: PosInt = 30


def build_toy(static, st: ToyDecay, index: int) -> Iterative:
    def step(params, state, k, problem):
        loss, g = jax.value_and_grad(training_loss)(params, problem, static, st.lam)
        return jax.tree.map(lambda p, gi: p - st.lr * gi, params, g), state, StepInfo(loss, tree_norm(g))

    return Iterative(total=st.steps, init_state=lambda p, pr: (), step=step, lam=lambda k: jnp.asarray(st.lam), lr=st.lr)


@pytest.fixture
def toy_stage():
    spec = register_stage(StageSpec(ToyDecay, build_toy, final_lambda=lambda st: st.lam, modes=("population",)))
    yield spec
    unregister_stage("toy_decay")


CFG = {"teacher": {"d": 5, "m_star": 2, "a_star": [1.0, -1.0]}, "student": {"m": 8}, "log_every": 10, "checkpoint_every": 10,
       "stages": [{"kind": "one_step"}, {"kind": "fit_second_layer"}, {"kind": "toy_decay", "steps": 40, "lam": 2e-3}]}


def test_registered_kind_validates_runs_and_sets_lambda(toy_stage, tmp_path):
    assert "toy_decay" in STAGES.kinds()
    cfg = validate(CFG)
    assert isinstance(cfg.stages[2], ToyDecay) and cfg.stages[2].lam == 2e-3
    r = run(cfg, out=tmp_path)
    s = r.summary
    assert s.status == "ok"
    assert [st["kind"] for st in s.stages] == ["one_step", "fit_second_layer", "toy_decay"]
    assert s.stages[2]["steps"] == 40 and s.stages[2]["lr"] == 0.5 and s.stages[2]["lam_end"] == pytest.approx(2e-3)
    assert s.certificate_lambda == pytest.approx(2e-3)  # the summary's λ comes from the spec's final_lambda
    assert s.stages[2]["end_loss"] < s.stages[2]["start_loss"]
    assert set(r.metrics["stage"]) >= {"2:toy_decay"}
    assert (r.out_dir / "summary.json").is_file() and (r.out_dir / "checkpoint.npz").is_file()


def test_registered_kind_errors_name_its_keys(toy_stage):
    with pytest.raises(ConfigError, match=r"stages\.0\.lrr: unknown key; did you mean 'lr'\? valid keys here: kind, lam, lr, steps"):
        validate({"stages": [{"kind": "toy_decay", "lrr": 1}]})
    with pytest.raises(ConfigError, match=r"stages\.0\.kind: toy_decay supports data\.mode population, not empirical"):
        validate({"data": {"mode": "empirical", "n_train": 100}, "stages": [{"kind": "toy_decay"}]})


def test_unregistered_kind_is_refused_with_the_valid_kinds():
    with pytest.raises(ConfigError, match=r"stages\.0\.kind: unknown stage kind 'toy_decay'; valid: one_step, fit_second_layer"):
        validate({"stages": [{"kind": "toy_decay"}]})


def test_registered_kind_in_a_sweep(toy_stage, tmp_path):
    from featlearn.sweep import parse_sweep, run_sweep

    spec = parse_sweep({"name": "toy", "base": CFG, "grid": {"stages.2.lam": [1e-3, 4e-3]}})
    res = run_sweep(spec, out=tmp_path)
    df = pd.read_parquet(res.folder / "results.parquet")
    assert list(df["status"]) == ["ok", "ok"]
    assert sorted(df["certificate_lambda"]) == pytest.approx([1e-3, 4e-3])
