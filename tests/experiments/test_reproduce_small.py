"""Every experiment at size small, through the CLI: each writes its folder and passes every claim.

E1–E9 here, E10 onwards in test_reproduce_small_quantitative.py: two files, so that pytest-xdist
(`--dist loadfile`) runs the two halves in its two processes."""

import json

import pytest

from featlearn.cli.main import main
from featlearn.experiments import available


def _cli(argv):
    with pytest.raises(SystemExit) as exc:
        main(argv)
    return exc.value.code


# E2 at size small runs in CI inside the notebook example (tests/examples/test_notebook.py checks its claims)
SLOW = {"E2"}
FIRST = [e for e in available() if int(e[1:]) < 10]


def check_small(exp_id, tmp_path):
    """`featlearn reproduce EXP --size small` exits 0, writes its folder, and every claim passes."""
    assert _cli(["reproduce", exp_id, "--size", "small", "--out", str(tmp_path)]) == 0
    folder = tmp_path / f"{exp_id}-small"
    claims = json.loads((folder / "claims.json").read_text())
    assert claims["claims"] and all(c["passed"] for c in claims["claims"]), claims
    assert (folder / "results.parquet").is_file() and (folder / "report.html").is_file()
    assert list((folder / "figures").glob("*.png"))


@pytest.mark.parametrize("exp_id", [pytest.param(e, marks=pytest.mark.slow) if e in SLOW else e for e in FIRST])
def test_small_experiment_passes_its_claims(exp_id, tmp_path):
    check_small(exp_id, tmp_path)


def test_every_design_experiment_is_shipped():
    assert available() == ["E1", "E2", "E3", "E4", "E5", "E6", "E7", "E8", "E9", "E10", "E11", "E12", "E13", "E14"]


def test_unknown_experiment_id_is_a_clean_error(tmp_path, capsys):
    assert _cli(["reproduce", "E99", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("featlearn: error: EXPERIMENT: unknown experiment id 'E99'; valid: E1")
    assert not any(tmp_path.iterdir())
