"""No pickle / eval of inputs: `yaml.safe_load`, `np.load(allow_pickle=False)`; names that could leave the output
folder are rejected."""

from __future__ import annotations

import os
import re
from pathlib import Path

import numpy as np
import pytest

import featlearn
from reliability_helpers import SMALL
from featlearn.config import ConfigError, load_config, run_dir_name, validate

SRC = Path(featlearn.__file__).resolve().parent
FORBIDDEN = [
    (r"\bimport\s+(c?pickle|dill|cloudpickle|marshal|shelve)\b|\bfrom\s+(c?pickle|dill|cloudpickle|marshal|shelve)\b", "pickle-like module"),
    (r"(?<![\w.])(eval|exec)\s*\(", "eval / exec"),
    (r"\byaml\.(load|unsafe_load|full_load|load_all|unsafe_load_all|full_load_all)\s*\(", "yaml loader other than safe_load"),
    (r"\bLoader\s*=", "a yaml Loader"),
    (r"allow_pickle\s*=\s*True", "allow_pickle=True"),
    (r"\bread_pickle\s*\(|\bto_pickle\s*\(|\btorch\.load\s*\(|\bjoblib\.load\s*\(", "pickle-based load"),
    (r"\bos\.system\s*\(|shell\s*=\s*True|\b__import__\s*\(\s*[a-z_]+\s*\)", "shell / dynamic import of input"),
]


def test_source_has_no_unsafe_deserialisation():
    bad = []
    for path in sorted(SRC.rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        for n, line in enumerate(text.splitlines(), 1):
            code = line.split("#", 1)[0]
            for pattern, what in FORBIDDEN:
                if re.search(pattern, code):
                    bad.append(f"{path.relative_to(SRC)}:{n}: {what}: {line.strip()}")
        # every np.load passes allow_pickle=False
        for m in re.finditer(r"\bnp\.load\s*\(", text):
            call = text[m.start(): text.find(")", m.end()) + 1]
            if "allow_pickle=False" not in call:
                bad.append(f"{path.relative_to(SRC)}: np.load without allow_pickle=False: {call}")
    assert not bad, "\n".join(bad)


@pytest.mark.parametrize("where", ["file", "set"])
def test_python_yaml_tags_are_never_executed(cli, tmp_path, where):
    sentinel = tmp_path / "pwned"  # the cli fixture runs in tmp_path
    payload = "!!python/object/apply:os.mkdir ['pwned']"
    if where == "file":
        cfg = tmp_path / "evil.yaml"
        cfg.write_text(f"name: {payload}\n")
        res = cli(["run", cfg, "--out", tmp_path / "out"])
        assert "!!python/object/apply:os.mkdir" in res.err and "not allowed" in res.err
    else:
        res = cli(["run", "--set", f"name={payload}", "--out", tmp_path / "out"])
        assert "name:" in res.err and "not a valid run name" in res.err
    assert res.code == 2 and "Traceback" not in res.err
    assert not sentinel.exists() and not (tmp_path / "out").exists()


class _Evil:
    def __init__(self, path):
        self.path = path

    def __reduce__(self):
        return (os.mkdir, (str(self.path),))


def test_pickled_checkpoint_is_refused_on_resume(cli, tmp_path):
    """A checkpoint.npz holding a pickled object is not unpickled: --resume stops with a clean message."""
    cfg = load_config(None, SMALL[1::2])
    run_dir = tmp_path / "out" / run_dir_name(cfg)
    run_dir.mkdir(parents=True)
    sentinel = tmp_path / "pwned"
    np.savez(run_dir / "checkpoint.npz", stage_index=np.asarray(2), rows_json=np.array([_Evil(sentinel)], dtype=object))
    res = cli(["run", "--quiet", "--resume", "--out", tmp_path / "out", *SMALL])
    assert res.code == 2, res.err
    assert "Traceback" not in res.err
    lines = res.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("featlearn: error: --resume: ") and "checkpoint.npz" in lines[0], res.err
    assert not sentinel.exists()


BAD_NAMES = ["../x", "..", ".", "/abs", "a/b", "a\\b", "a\x00b", "a\nb", "run\n", "\nrun", " x", "x y", "", "a" * 81, "~root", "$HOME"]


@pytest.mark.parametrize("name", BAD_NAMES, ids=repr)
def test_run_names_that_leave_the_folder_are_rejected(name, tmp_path):
    with pytest.raises(ConfigError, match=r"^name: ") as info:
        validate({"name": name})
    assert "\n" not in str(info.value)
    from featlearn.train import run

    with pytest.raises(ConfigError):
        run({"name": name}, out=tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_good_run_names_stay_inside_the_folder(tmp_path):
    for name in ["default", "E1-small", "a.b_c-1", "x" * 80]:
        cfg = validate({"name": name})
        target = (tmp_path / run_dir_name(cfg)).resolve()
        assert target.parent == tmp_path.resolve()


@pytest.mark.parametrize("name", ["../x", "/abs", "a/b", "a\x00b", "bad\nname"], ids=repr)
def test_sweep_names_that_leave_the_folder_are_rejected(name):
    grid = pytest.importorskip("featlearn.sweep.grid")
    with pytest.raises(ConfigError, match="name"):
        grid.parse_sweep({"name": name, "base": {}, "grid": {"seed": [0, 1]}})
    with pytest.raises(ConfigError, match="name"):  # a grid over run names goes through the run schema
        grid.expand(grid.parse_sweep({"name": "ok", "base": {}, "grid": {"name": [name]}}))


def test_sweep_name_with_a_trailing_newline_is_rejected():
    grid = pytest.importorskip("featlearn.sweep.grid")
    with pytest.raises(ConfigError, match="name"):
        grid.parse_sweep({"name": "sweep\n", "base": {}, "grid": {"seed": [0]}})
