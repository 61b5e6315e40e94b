"""A corpus of malformed configs and command lines: each one gives exit code 2, one line on stderr that names
the key or argument (and the valid values where there are some), no traceback, and writes nothing."""

from __future__ import annotations

import functools
import subprocess
import sys

import pytest

from reliability_helpers import SMALL

FILES = {
    "typo.yaml": "techer:\n  d: 5\n",
    "broken.yaml": "teacher: [1, 2\n",
    "binary.yaml": b"\x89PNG\r\n\x1a\n\x00\x00\xff\xfe\xfd",
    "nul.yaml": "teacher:\x00\n",
    "list.yaml": "- 1\n- 2\n",
    "empty_stages.yaml": "stages: []\n",
    "pytag.yaml": "teacher:\n  d: !!python/object/apply:os.system ['echo pwned']\n",
    "recursive.yaml": "teacher: &t\n  d: *t\n",
    "date_name.yaml": "name: 2020-01-01\n",
    "set.yaml": "teacher:\n  a_star: !!set {1, 2}\n",
    "name_nul.yaml": 'name: "a\\0b"\n',
    "name_newline.yaml": 'name: "run\\n"\n',
    "a_file": "not a folder\n",
    "sweep_escape.yaml": "name: ../x\nbase: {}\ngrid: {seed: [0, 1]}\n",
    "sweep_run_name.yaml": "name: ok\nbase: {}\ngrid: {name: [a/b]}\n",
    "sweep_bad_key.yaml": "name: ok\nbase: {}\ngrid: {teacher.dd: [1, 2]}\n",
}

# (id, argv after `featlearn`, fragments the one-line message must contain). `{f}` is the folder of FILES;
# every `run` without --out gets `--out {out}`, and {out} must stay absent or empty.
CASES = [
    # wrong types
    ("str-for-int", ["run", "--set", "teacher.d=ten"], ["teacher.d", "integer", "'ten'"]),
    ("fraction-for-int", ["run", "--set", "teacher.d=1.5"], ["teacher.d", "integer"]),
    ("scalar-for-section", ["run", "--set", "teacher=3"], ["teacher", "dictionary"]),
    ("str-for-list", ["run", "--set", "stages=abc"], ["stages", "list"]),
    ("date-for-name", ["run", "{f}/date_name.yaml"], ["name", "string"]),
    ("bad-a_star-element", ["run", "--set", "teacher.a_star=[1,x,3]"], ["teacher.a_star.1", "number", "ones"]),
    ("bad-a_star-choice", ["run", "--set", "teacher.a_star=5"], ["teacher.a_star", "ones", "random_signs", "alternating"]),
    ("yaml-set", ["run", "{f}/set.yaml"], ["teacher.a_star", "set", "list"]),
    # unknown keys and choices
    ("unknown-key", ["run", "--set", "teacher.dd=5"], ["teacher.dd", "unknown key", "did you mean 'd'", "m_star"]),
    ("unknown-section-yaml", ["run", "{f}/typo.yaml"], ["techer", "did you mean 'teacher'", "stages"]),
    ("unknown-stage-key", ["run", "--set", "stages.2.lrr=1"], ["stages.2.lrr", "did you mean 'lr'"]),
    ("unknown-stage-kind", ["run", "--set", "stages.2.kind=adamw"], ["stages.2.kind", "'adamw'", "anneal_weight_decay", "lazy"]),
    ("unknown-activation", ["run", "--set", "teacher.activation=swish"], ["teacher.activation", "relu_trim", "erf", "tanh"]),
    ("unknown-dtype", ["run", "--set", "dtype=float16"], ["dtype", "float64", "float32"]),
    ("unknown-init-kind", ["run", "--set", "init.kind=gaussian"], ["init", "symmetric", "near_teacher"]),
    # sizes and ranges
    ("negative-d", ["run", "--set", "teacher.d=-3"], ["teacher.d", "greater than 0"]),
    ("zero-width", ["run", "--set", "student.m=0"], ["student.m", "greater than 0"]),
    ("odd-width-symmetric", ["run", "--set", "student.m=7"], ["student.m", "even"]),
    ("zero-log-every", ["run", "--set", "log_every=0"], ["log_every", "greater than 0"]),
    ("checkpoint-not-multiple", ["run", "--set", "checkpoint_every=150"], ["checkpoint_every", "multiple of log_every"]),
    ("negative-seed", ["run", "--set", "seed=-1"], ["seed", "greater than or equal to 0"]),
    ("huge-seed", ["run", "--set", "seed=99999999999999999999"], ["seed", "4294967295"]),
    ("negative-noise", ["run", "--set", "teacher.noise_std=-1"], ["teacher.noise_std", "0"]),
    ("infinite-lr", ["run", "--set", "stages.2.lr=.inf"], ["stages.2.lr", "finite"]),
    ("nan-lr", ["run", "--set", "stages.2.lr=.nan"], ["stages.2.lr"]),
    ("a_star-length", ["run", "--set", "teacher.a_star=[1,2]"], ["teacher.a_star", "m_star=3"]),
    ("far-ge-width", ["run", "--set", "init.kind=near_teacher", "--set", "init.far=100"], ["init.far", "student.m=64"]),
    ("empirical-no-n", ["run", "--set", "data.mode=empirical"], ["data.n_train", "positive integer"]),
    # teacher geometry
    ("mstar-gt-d-orthonormal", ["run", "--set", "teacher.m_star=5", "--set", "teacher.d=3", "--set", "teacher.a_star=ones"],
     ["teacher.directions", "m_star", "d=3", "'random'"]),
    ("min-angle-even-ge-90", ["run", "--set", "teacher.directions=random", "--set", "teacher.min_angle_deg=120"],
     ["teacher.min_angle_deg", "below 90"]),
    ("min-angle-too-many", ["run", "--set", "teacher.directions=random", "--set", "teacher.activation=relu",
                            "--set", "teacher.min_angle_deg=170", "--set", "teacher.m_star=4", "--set", "teacher.a_star=ones"],
     ["teacher.min_angle_deg", "at most 2", "m_star=4"]),
    # only found when the teacher is built: 3 directions 120° apart in the plane has probability 0
    ("min-angle-unplaceable", ["run", "--set", "teacher.directions=random", "--set", "teacher.activation=relu", "--set", "teacher.d=2",
                               "--set", "teacher.min_angle_deg=120", "--set", "teacher.a_star=ones"],
     ["teacher.min_angle_deg", "could not place 3", "smaller min_angle_deg"]),
    ("balance-with-erf", ["run", "--set", "teacher.activation=erf", "--set", "stages.1.balance=true"], ["stages.1.balance", "erf", "false"]),
    # stage list
    ("empty-stages-set", ["run", "--set", "stages=[]"], ["stages", "at least one", "one_step", "gd"]),
    ("empty-stages-yaml", ["run", "{f}/empty_stages.yaml"], ["stages", "at least one"]),
    # --set syntax and paths
    ("set-no-equals", ["run", "--set", "teacher.d"], ["--set", "key.path=value"]),
    ("set-empty-path", ["run", "--set", ".d=1"], ["--set", "empty key path"]),
    ("set-index-range", ["run", "--set", "stages.5.lr=1"], ["stages.5", "0..2"]),
    ("set-index-not-int", ["run", "--set", "stages.x.lr=1"], ["stages.x", "index"]),
    ("set-unicode-digit", ["run", "--set", "stages.\u00b2.lr=1"], ["stages.\u00b2", "index"]),
    ("set-into-scalar", ["run", "--set", "teacher.d.x=3"], ["teacher.d", "not a section"]),
    # files
    ("missing-file", ["run", "nothere.yaml"], ["nothere.yaml", "not found", "default"]),
    ("bad-yaml", ["run", "{f}/broken.yaml"], ["broken.yaml", "not valid YAML", "line 2"]),
    ("binary-file", ["run", "{f}/binary.yaml"], ["binary.yaml", "UTF-8"]),
    ("nul-file", ["run", "{f}/nul.yaml"], ["nul.yaml", "binary"]),
    ("directory-as-config", ["run", "{f}"], ["not a file"]),
    ("list-yaml", ["run", "{f}/list.yaml"], ["list.yaml", "mapping"]),
    ("python-tag", ["run", "{f}/pytag.yaml"], ["pytag.yaml", "!!python/object/apply:os.system", "not allowed", "line 2"]),
    ("recursive-alias", ["run", "{f}/recursive.yaml"], ["teacher.d", "recursive"]),
    ("nul-in-path", ["run", "a\x00b.yaml"], ["config", "null"]),
    # run names that would leave the output folder
    ("name-dotdot", ["run", "--set", "name=../x"], ["name", "'../x'", "not a valid run name"]),
    ("name-abs", ["run", "--set", "name=/abs"], ["name", "'/abs'", "not a valid run name"]),
    ("name-slash", ["run", "--set", "name=a/b"], ["name", "'a/b'", "not a valid run name"]),
    ("name-nul", ["run", "{f}/name_nul.yaml"], ["name", "not a valid run name"]),
    ("name-newline", ["run", "{f}/name_newline.yaml"], ["name", "not a valid run name"]),
    ("name-newline-set", ["run", "--set", "name=a\nb"], ["name", "not a valid run name"]),
    # bad --out
    ("out-is-file", ["run", "--out", "{f}/a_file", *SMALL], ["--out", "a_file", "is a file"]),
    ("out-under-file", ["run", "--out", "{f}/a_file/sub", *SMALL], ["--out", "cannot create"]),
    # command line
    ("unknown-subcommand", ["frobnicate"], ["frobnicate", "valid commands", "run", "report"]),
    ("unknown-option", ["run", "--bogus"], ["--bogus"]),
    ("flag-with-value", ["run", "--resume=yes"], ["--resume", "does not take a value"]),
    ("extra-argument", ["run", "a.yaml", "b.yaml"], ["unexpected extra argument"]),
    ("set-missing-value", ["run", "--set"], ["--set", "requires an argument"]),
    ("bench-bad-only", ["bench", "--only", "P9"], ["--only", "'P9'", "P1"]),
    ("report-missing-dir", ["report", "nothere"], ["DIR", "nothere"]),
    ("reproduce-unknown-id", ["reproduce", "E99"], ["E99", "E1"]),
    ("reproduce-bad-size", ["reproduce", "--size", "huge", "E1"], ["--size", "'huge'", "small, full"]),
    ("sweep-missing-file", ["sweep", "nothere.yaml", "--out", "{out}"], ["nothere.yaml"]),
    ("sweep-name-escapes", ["sweep", "{f}/sweep_escape.yaml", "--out", "{out}"], ["name", "'../x'"]),
    ("sweep-run-name-escapes", ["sweep", "{f}/sweep_run_name.yaml", "--out", "{out}"], ["name", "a/b"]),
    ("sweep-unknown-grid-key", ["sweep", "{f}/sweep_bad_key.yaml", "--out", "{out}"], ["teacher.dd"]),
    ("sweep-bad-workers", ["sweep", "{f}/sweep_escape.yaml", "--workers", "many"], ["--workers", "integer"]),
]


@pytest.fixture
def files(tmp_path):
    folder = tmp_path / "files"
    folder.mkdir()
    for name, content in FILES.items():
        (folder / name).write_bytes(content if isinstance(content, bytes) else content.encode())
    return folder


def _registered(command: str) -> bool:
    import typer

    from featlearn.cli.main import app

    return command in typer.main.get_command(app).commands


def _expand(argv, files, out):
    argv = [a.replace("{f}", str(files)).replace("{out}", str(out)) for a in argv]
    if argv[0] == "run" and "--out" not in argv:
        argv = ["run", "--out", str(out), *argv[1:]]
    return argv


def _assert_clean_error(res, fragments):
    assert res.code == 2, (res.code, res.err, res.out)
    lines = [ln for ln in res.err.splitlines() if ln.strip()]
    assert len(lines) == 1, res.err
    assert lines[0].startswith("featlearn: error: "), lines[0]
    assert "Traceback" not in res.err + res.out
    for frag in fragments:
        assert frag in lines[0], (frag, lines[0])
    assert res.out == ""


def test_corpus_is_large_enough():
    assert len(CASES) >= 30
    assert len({c[0] for c in CASES}) == len(CASES)


@pytest.mark.parametrize("argv, fragments", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_input_gives_one_line_and_exit_2(cli, files, tmp_path, monkeypatch, argv, fragments):
    if argv[0] in ("reproduce", "sweep") and not _registered(argv[0]):
        pytest.skip(f"`featlearn {argv[0]}` does not exist yet")
    import featlearn.teacher

    # the rejection sampler gives up after 20000 draws (seconds); 300 reach the same error quickly
    monkeypatch.setattr(featlearn.teacher, "_random_separated", functools.partial(featlearn.teacher._random_separated, max_tries=300))
    out = tmp_path / "out"
    res = cli(_expand(argv, files, out))
    _assert_clean_error(res, fragments)
    assert not out.exists() or not any(out.iterdir()), "nothing may be written"
    assert not any((tmp_path / d).exists() for d in ("runs", "experiments", "sweeps"))
    assert (files / "a_file").read_text() == "not a folder\n"


# Three of the new user's mistakes of issue 7 through the real console entry point, with their exact messages.
SUBPROCESS = [
    (["run", "--set", "teacher.d=ten"],
     "featlearn: error: teacher.d: Input should be a valid integer, unable to parse string as an integer (got 'ten')"),
    (["run", "nothere.yaml"],
     "featlearn: error: CONFIG: file not found: nothere.yaml (give the path of a YAML config, or a shipped config: "),
    (["reproduce", "E99"], "featlearn: error: "),
]


def test_real_subprocess_errors_have_no_traceback(tmp_path):
    """`python -m featlearn …` in child processes (started together): one line on stderr, exit 2, nothing written."""
    cases = [c for c in SUBPROCESS if c[0][0] != "reproduce" or _registered("reproduce")]
    procs = [subprocess.Popen([sys.executable, "-m", "featlearn", *argv, *(["--out", "out"] if argv[0] == "run" else [])],
                              cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for argv, _ in cases]
    for (argv, expected), p in zip(cases, procs):
        out, err = p.communicate(timeout=300)
        assert p.returncode == 2, (argv, err)
        assert "Traceback" not in err + out
        assert out == ""
        assert len(err.strip().splitlines()) == 1, err
        line = err.strip()
        assert line.startswith(expected), (line, expected)
        if argv[0] == "reproduce":
            assert "'E99'" in line and "E1" in line, line
    assert sorted(p.name for p in tmp_path.iterdir()) == []
