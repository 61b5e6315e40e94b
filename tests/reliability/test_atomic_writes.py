"""Every file featlearn writes goes through the atomic helpers of `featlearn.io` (temp file + os.replace)."""

from __future__ import annotations

import ast
import os
from pathlib import Path

import numpy as np
import pytest

import featlearn
from featlearn import io as fio

SRC = Path(featlearn.__file__).resolve().parent
ALLOWED = {SRC / "io.py"}
# Calls that write a file directly (a reader, or a --resume after a kill, would see a half-written file).
WRITER_METHODS = {"savefig", "to_parquet", "to_csv", "to_json", "to_hdf", "to_feather", "to_pickle", "to_excel", "write_text",
                  "write_bytes", "savez", "savez_compressed", "save", "dump", "safe_dump", "tofile", "copy", "copyfile", "move"}


def _is_std_stream(node) -> bool:
    return isinstance(node, ast.Attribute) and node.attr in ("stdout", "stderr") and isinstance(node.value, ast.Name) and node.value.id == "sys"


def _direct_writes(tree: ast.AST):
    """(line, what) of every direct file write in a module (docstrings and comments do not count)."""
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        f = node.func
        name = f.attr if isinstance(f, ast.Attribute) else f.id if isinstance(f, ast.Name) else ""
        owner = f.value.id if isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) else ""
        if name == "open":
            if owner == "os":
                yield node.lineno, "open for writing"
                continue
            builtin = isinstance(f, ast.Name) or owner in ("io", "builtins")
            mode = (node.args[1] if len(node.args) > 1 else None) if builtin else (node.args[0] if node.args else None)
            for kw in node.keywords:
                if kw.arg == "mode":
                    mode = kw.value
            if isinstance(mode, ast.Constant) and isinstance(mode.value, str) and set(mode.value) & set("wax+"):
                yield node.lineno, "open for writing"
            continue
        if name not in WRITER_METHODS or any(_is_std_stream(a) for a in [*node.args, *(k.value for k in node.keywords)]):
            continue
        if name == "save" and owner not in ("np", "numpy", "jnp", "torch"):
            continue
        if name in ("dump", "safe_dump") and not (
            owner == "json" or (owner == "yaml" and (len(node.args) > 1 or any(k.arg == "stream" for k in node.keywords)))
        ):
            continue
        if name in ("copy", "copyfile", "move") and owner != "shutil":
            continue
        if name in ("to_json", "to_csv") and not node.args and not any(k.arg == "path_or_buf" for k in node.keywords):
            continue  # returns a string
        yield node.lineno, name


def _sources():
    return sorted(p for p in SRC.rglob("*.py") if p not in ALLOWED)


def test_no_direct_file_writes_outside_featlearn_io():
    bad = []
    for path in _sources():
        text = path.read_text(encoding="utf-8")
        for line, what in _direct_writes(ast.parse(text)):
            bad.append(f"{path.relative_to(SRC)}:{line}: {what}: {text.splitlines()[line - 1].strip()}")
    assert not bad, "use featlearn.io's atomic helpers instead:\n" + "\n".join(bad)


AUDIT_SAMPLE = '''
import json, numpy as np, shutil
from pathlib import Path
open(p, "w").write("x")
with open(p, mode="ab") as f: pass
Path(p).open("w")
fig.savefig(p)
df.to_parquet(p)
np.savez(p, a=1)
np.save(p, x)
Path(p).write_text("x")
json.dump(obj, f)
json.dump(obj, sys.stdout)
shutil.copy(a, b)
s = df.to_json()
open(p).read()
Path(p).read_text()
"""docstring: fig.savefig(path)"""
'''


def test_the_audit_finds_direct_writes():
    found = [what for _, what in _direct_writes(ast.parse(AUDIT_SAMPLE))]
    assert sorted(found) == sorted(["open for writing"] * 3 + ["savefig", "to_parquet", "savez", "save", "write_text", "dump", "copy"])


def test_atomic_write_keeps_the_old_file_when_the_write_fails(tmp_path, monkeypatch):
    target = tmp_path / "summary.json"
    fio.atomic_write_json(target, {"v": 1})

    def boom(*a, **k):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OSError):
        fio.atomic_write_json(target, {"v": 2})
    assert target.read_text() == '{\n  "v": 1\n}\n'
    assert [p.name for p in tmp_path.iterdir()] == ["summary.json"]  # no temp file left behind


def test_atomic_helpers_round_trip(tmp_path):
    import pandas as pd

    fio.atomic_save_npz(tmp_path / "a.npz", {"x": np.arange(3.0)})
    np.testing.assert_array_equal(fio.load_npz(tmp_path / "a.npz")["x"], np.arange(3.0))
    df = pd.DataFrame({"step": [0, 1], "loss": [1.0, 0.5]})
    fio.atomic_write_parquet(tmp_path / "m.parquet", df)
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "m.parquet"), df)
    fio.atomic_write_text(tmp_path / "deep" / "t.txt", "ok")
    assert (tmp_path / "deep" / "t.txt").read_text() == "ok"
    assert not list(tmp_path.rglob(".*.tmp"))


def test_resume_removes_temp_files_of_a_killed_write(tmp_path):
    from featlearn.config import RunConfig, run_dir_name
    from featlearn.train.rundir import prepare_run_dir

    cfg = RunConfig()
    run_dir = tmp_path / run_dir_name(cfg)
    run_dir.mkdir()
    (run_dir / ".checkpoint.npz.abc123.tmp").write_bytes(b"half")
    (run_dir / "checkpoint.npz").write_bytes(b"kept")
    assert prepare_run_dir(cfg, tmp_path, resume=True) == run_dir
    assert not list(run_dir.glob(".*.tmp"))
    assert (run_dir / "checkpoint.npz").read_bytes() == b"kept"
    prepare_run_dir(cfg, tmp_path, resume=False)
    assert not (run_dir / "checkpoint.npz").exists()  # a fresh run does not resume an old checkpoint


def test_a_sweep_on_a_full_disk_names_each_file_and_exits_1(tmp_path, monkeypatch, capsys):
    from featlearn.cli.main import main
    from featlearn.config.yaml_io import SHIPPED

    real = os.replace

    def full_for_metrics(src, dst, *a, **k):  # the disk fills up when the runs write their metrics
        if str(dst).endswith("metrics.parquet"):
            raise OSError(28, "No space left on device")
        return real(src, dst, *a, **k)

    monkeypatch.setattr(os, "replace", full_for_metrics)
    sweep = tmp_path / "s.yaml"
    base = (SHIPPED / "sweeps" / "small.yaml").read_text().replace("epochs: 2, steps_per_epoch: 200", "epochs: 1, steps_per_epoch: 20")
    sweep.write_text(base.replace("seed: [0, 1]", "seed: [0]"))
    monkeypatch.setattr("sys.argv", ["featlearn", "sweep", str(sweep), "--out", str(tmp_path / "out"), "--quiet"])
    with pytest.raises(SystemExit) as exc:
        main()
    out = capsys.readouterr()
    assert exc.value.code == 1 and "Traceback" not in out.out + out.err
    failed = [line for line in out.out.splitlines() if "failed:" in line]
    assert len(failed) == 2 and all("No space left on device" in f and "metrics.parquet" in f for f in failed)
    assert (tmp_path / "out" / "small" / "results.parquet").is_file()  # what could be written was
