"""The same config and seed give an identical summary.json (apart from timings) and identical final parameters:
a run in this process against the reference run of `python -m featlearn run` in a child process."""

from __future__ import annotations

import json

import numpy as np

from reliability_helpers import RESUME, read_summary, strip_timings
from featlearn.config import load_config, run_dir_name
from featlearn.io import load_npz
from featlearn.train import run


def test_two_runs_are_identical(reference_run):
    cfg = load_config(None, RESUME[1::2])
    assert run_dir_name(cfg) == reference_run.name
    result = run(cfg)  # in memory: the summary is what summary.json holds (its JSON round trip is exact)
    summary = json.loads(json.dumps(result.summary.to_dict()))
    assert strip_timings(summary) == strip_timings(read_summary(reference_run))
    ref = load_npz(reference_run / "final.npz")
    np.testing.assert_array_equal(np.asarray(result.params.a), ref["a"])
    np.testing.assert_array_equal(np.asarray(result.params.W), ref["W"])
    np.testing.assert_array_equal(np.asarray(result.teacher.W), ref["teacher_W"])
