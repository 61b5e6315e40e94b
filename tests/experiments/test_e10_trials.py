"""E10's per-seed trials: batched seeds through the experiment context, L₀ of the near-teacher start."""

import numpy as np
import pytest

from featlearn.experiments.base import Context
from featlearn.experiments.e10 import _config, trials

STAGE = {"kind": "anneal_weight_decay", "lam0": 1.0e-3, "factor": 0.5, "epochs": 2, "steps_per_epoch": 25}


def test_an_untilted_start_has_zero_initial_loss_and_tilted_ones_do_not(tmp_path):
    ctx = Context(tmp_path)
    size = {"d": 6, "m_star": 2, "m": 4}
    exact = trials(ctx.run_seeds(_config(size, 0.0, STAGE, "t-exact"), [0, 1]))
    tilted = trials(ctx.run_seeds(_config(size, 60.0, STAGE, "t-tilt"), [0, 1, 2]))
    assert [t["seed"] for t in tilted] == [0, 1, 2]
    # angle 0: every neuron on its teacher with the teacher's mass split among them, so f = f* exactly
    assert max(t["L0"] for t in exact) < 1e-14
    assert min(t["L0"] for t in tilted) > 1e-4
    assert len({round(t["L0"], 12) for t in tilted}) == 3  # each seed its own start
    assert len(list((tmp_path / "runs").iterdir())) == 5  # one run directory per seed
    assert np.isfinite([t["final_loss"] for t in tilted]).all()


def test_levels_past_89_degrees_scale_the_mass(tmp_path):
    from featlearn.experiments.e10 import levels
    from featlearn.model import Params
    from featlearn.objective import population_loss

    assert levels({"levels": [25, [89, 2.0]]}) == [(25.0, 1.0), (89.0, 2.0)]
    size = {"d": 6, "m_star": 2, "m": 4}
    (r,) = Context(tmp_path).run_seeds(_config(size, 0.0, STAGE, "t-double", mass_scale=2.0), [0])
    # untilted with twice the teacher's mass: f = 2f*, so L₀ = ½E[(2f* − f*)²] = the loss of the zero network
    zero = float(population_loss(Params(0 * r.teacher.a, r.teacher.W), r.teacher, "relu_trim"))
    assert trials([r])[0]["L0"] == pytest.approx(zero, rel=1e-10)
