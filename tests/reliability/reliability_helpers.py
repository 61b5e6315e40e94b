"""Plain helpers of the reliability tests (run sizes, subprocess runs, summaries); fixtures are in conftest.py.

Test modules import these from here, not from `conftest`: another test folder's conftest module can be the
one Python finds under that name.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

# A small run (d=6, m*=2, m=8) that still goes through all three default stages.
SMALL = [
    "--set", "teacher.d=6", "--set", "teacher.m_star=2", "--set", "teacher.a_star=[1,-1]", "--set", "student.m=8",
    "--set", "stages.2.epochs=2", "--set", "stages.2.steps_per_epoch=300", "--set", "log_every=50", "--set", "checkpoint_every=100",
]
# Long enough in stage 2 (2000 steps, a checkpoint every 50) for a kill part-way through it.
RESUME = [
    "--set", "teacher.d=6", "--set", "teacher.m_star=2", "--set", "teacher.a_star=[1,-1]", "--set", "student.m=8",
    "--set", "stages.2.epochs=4", "--set", "stages.2.steps_per_epoch=500", "--set", "log_every=10", "--set", "checkpoint_every=50",
]
TIMINGS = ("wall_seconds",)



def featlearn_subprocess(args, cwd, timeout=300, **kw):
    """`python -m featlearn ARGS` in a real child process."""
    return subprocess.run([sys.executable, "-m", "featlearn", *map(str, args)], cwd=cwd, capture_output=True, text=True,
                          timeout=timeout, **kw)


def strip_timings(summary: dict) -> dict:
    """summary.json without its timings (wall_seconds, stages[].seconds)."""
    s = {k: v for k, v in summary.items() if k not in TIMINGS}
    s["stages"] = [{k: v for k, v in st.items() if k != "seconds"} for st in summary["stages"]]
    return s


def only_run_dir(out: Path) -> Path:
    dirs = [p for p in Path(out).iterdir() if p.is_dir()]
    assert len(dirs) == 1, dirs
    return dirs[0]


def read_summary(run_dir: Path) -> dict:
    return json.loads((Path(run_dir) / "summary.json").read_text())
