"""Sweep files and grid expansion: cartesian product, digests, and one-line errors that name the key."""

from __future__ import annotations

import pytest
import yaml

from featlearn.cli.main import main
from featlearn.config import ConfigError, digest
from featlearn.sweep import expand, load_sweep, parse_sweep
from featlearn.sweep.sweep import flatten, make_tasks

from sweep_helpers import SMALL


def test_small_sweep_expands_to_the_cartesian_product():
    spec = load_sweep(SMALL)
    points = expand(spec)
    assert spec.name == "small" and spec.size == 4 and len(points) == 4
    assert [(p.overrides["stages.2.lam0"], p.overrides["seed"]) for p in points] == [(1e-3, 0), (1e-3, 1), (3e-3, 0), (3e-3, 1)]
    assert len({p.digest for p in points}) == 4
    for p in points:  # each point is the base with the overrides applied, named by its digest
        assert p.config.stages[2].lam0 == p.overrides["stages.2.lam0"] and p.config.seed == p.overrides["seed"]
        assert p.run_name == f"small-{digest(p.config)[:10]}"


def test_grid_values_round_trip_exactly(tmp_path):
    """Values go through `apply_overrides` as YAML text: 1e-05 must stay a float, lists stay lists."""
    spec = parse_sweep({"base": {"teacher": {"d": 8, "m_star": 2, "a_star": [1.0, -1.0]}},
                        "grid": {"stages.2.lam0": [1e-05, 2.5e-7], "teacher.a_star": [[1.0, -1.0], "ones"], "teacher.activation": ["relu", "abs"]}})
    points = expand(spec)
    assert len(points) == 8
    assert points[0].config.stages[2].lam0 == 1e-05 and points[4].config.stages[2].lam0 == 2.5e-7
    assert points[0].config.teacher.a_star == [1.0, -1.0] and points[2].config.teacher.a_star == "ones"
    row = flatten(points[0].config_dict)
    assert row["teacher.d"] == 8 and row["stages.2.lam0"] == 1e-05 and row["teacher.a_star"] == "[1.0, -1.0]"


def test_base_path_is_relative_to_the_sweep_file(tmp_path):
    (tmp_path / "cfg").mkdir()
    (tmp_path / "cfg" / "base.yaml").write_text(yaml.safe_dump({"name": "b", "teacher": {"d": 6, "m_star": 2, "a_star": [1.0, 1.0]}}))
    (tmp_path / "sw.yaml").write_text(yaml.safe_dump({"base": "cfg/base.yaml", "grid": {"seed": [3, 4]}}))
    points = expand(load_sweep(tmp_path / "sw.yaml"))
    assert [p.config.teacher.d for p in points] == [6, 6] and [p.config.seed for p in points] == [3, 4]
    assert load_sweep(tmp_path / "sw.yaml").name == "sw"


def test_batched_tasks_group_points_that_differ_only_in_seed():
    points = expand(load_sweep(SMALL))
    tasks = make_tasks(points, batch_seeds=True)
    assert [t.indices for t in tasks] == [(0, 1), (2, 3)] and all(t.batch for t in tasks)
    assert [t.indices for t in make_tasks(points, batch_seeds=False)] == [(0,), (1,), (2,), (3,)]


def test_duplicate_points_are_refused():
    spec = parse_sweep({"base": {"stages": [{"kind": "gd", "lr": 0.1}]},
                        "grid": {"stages.0.lr": [0.5, 0.1], "stages.0": [{"kind": "gd", "lr": 0.1}]}})
    with pytest.raises(ConfigError, match=r"^grid: the points .* give the same config"):
        expand(spec)


BAD = [
    ("unknown grid key", {"grid": {"teacher.dd": [8, 16]}}, "grid.teacher.dd"),
    ("bad grid value", {"grid": {"teacher.d": [8, -1]}}, "grid.teacher.d=-1"),
    ("bad list index", {"grid": {"stages.7.lam0": [1e-3]}}, "grid.stages.7.lam0"),
    ("non-list grid values", {"grid": {"seed": 3}}, "grid.seed: expected a list"),
    ("empty grid values", {"grid": {"seed": []}}, "grid.seed: the list of values is empty"),
    ("missing base", {"base": None, "grid": {"seed": [0, 1]}}, "base: missing"),
    ("base path not found", {"base": "nowhere.yaml", "grid": {"seed": [0]}}, "base: file not found"),
    ("bad base", {"base": {"teacher": {"d": 0}}, "grid": {"seed": [0]}}, "base: teacher.d"),
    ("missing grid", {"grid": None}, "grid: missing"),
    ("unknown sweep key", {"grids": {"seed": [0]}}, "grids: unknown key in the sweep file"),
    ("bad metric", {"metrics": ["loss"]}, "metrics: 'loss'"),
    ("bad name", {"name": "../up"}, "name: '../up' is not a valid sweep name"),
]


@pytest.mark.parametrize("what,change,expected", BAD, ids=[b[0] for b in BAD])
def test_bad_sweep_files_exit_2_with_one_line_and_write_nothing(tmp_path, capsys, what, change, expected):
    data = yaml.safe_load(SMALL.read_text())
    data.update(change)
    data = {k: v for k, v in data.items() if v is not None}
    sweep = tmp_path / "bad.yaml"
    sweep.write_text(yaml.safe_dump(data, sort_keys=False))
    out = tmp_path / "out"
    with pytest.raises(SystemExit) as exc:
        main(["sweep", str(sweep), "--out", str(out), "--quiet"])
    err = capsys.readouterr().err
    assert exc.value.code == 2
    assert err.count("\n") == 1 and err.startswith("featlearn: error: ") and expected in err, err
    assert not out.exists()


def test_not_yaml_and_missing_file_and_both_executors(tmp_path, capsys):
    (tmp_path / "x.yaml").write_text("grid: [unclosed\n")
    for argv, expected in [
        (["sweep", str(tmp_path / "x.yaml")], "is not valid YAML at line 2"),
        (["sweep", str(tmp_path / "nope.yaml")], "SWEEP: file not found"),
        (["sweep", str(SMALL), "--workers", "2", "--scheduler", "tcp://127.0.0.1:1"], "give exactly one of them"),
        (["sweep", str(SMALL), "--workers", "0"], "--workers: expected a positive number"),
        (["sweep", str(SMALL), "--scheduler", "127.0.0.1:8786"], "--scheduler: expected a scheduler address like tcp://HOST:PORT"),
    ]:
        with pytest.raises(SystemExit) as exc:
            main(argv + ["--out", str(tmp_path / "out"), "--quiet"])
        err = capsys.readouterr().err
        assert exc.value.code == 2 and err.count("\n") == 1 and expected in err, (argv, err)
    assert not (tmp_path / "out").exists()

