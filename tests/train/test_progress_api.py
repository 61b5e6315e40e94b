"""`progress=` of the Python API: a bar when asked (and by default in a terminal or notebook), none with
False, a callable receives the numbers; `featlearn.run` also takes a YAML path."""

from __future__ import annotations

import yaml

import featlearn
from featlearn.progress import wanted

SMALL = {"teacher": {"d": 4, "m_star": 2}, "student": {"m": 8}, "metrics": {"trajectory_every": 0},
         "stages": [{"kind": "one_step"}, {"kind": "fit_second_layer"},
                    {"kind": "anneal_weight_decay", "epochs": 2, "steps_per_epoch": 100}]}


def test_bar_none_and_callable(capsys, tmp_path):
    featlearn.run(SMALL, progress=True)
    err = capsys.readouterr().err
    assert "anneal_weight_decay" in err and "loss" in err
    seen = []
    featlearn.run(SMALL, progress=lambda *a: seen.append(a))
    assert seen and seen[-1][0] == "2:anneal_weight_decay" and seen[-1][3] == 200
    assert not wanted(None)  # pytest's captured stderr is not a terminal: no bar by default
    (tmp_path / "c.yaml").write_text(yaml.safe_dump(SMALL))
    capsys.readouterr()
    r = featlearn.run(str(tmp_path / "c.yaml"), progress=False)
    assert r.summary.status == "ok" and r.config.student.m == 8
    assert capsys.readouterr().err == ""
