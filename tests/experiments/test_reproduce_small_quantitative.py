"""E10 onwards (the paper's quantitative statements) at size small, through the CLI: each passes every claim."""

import pytest

from featlearn.experiments import available

from test_reproduce_small import check_small  # the same directory (pytest puts it on sys.path)

LATER = [e for e in available() if int(e[1:]) >= 10]


@pytest.mark.parametrize("exp_id", LATER)
def test_small_experiment_passes_its_claims(exp_id, tmp_path):
    check_small(exp_id, tmp_path)


def test_the_later_half_holds_the_quantitative_experiments():
    assert LATER == ["E10", "E11", "E12", "E13", "E14"]
