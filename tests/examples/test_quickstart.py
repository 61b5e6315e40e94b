"""examples/quickstart.py is the README's "Ten lines of Python", line for line, and it runs."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _readme_block() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text[text.index("## Ten lines of Python"):]
    return section.split("```python\n", 1)[1].split("```", 1)[0]


def test_quickstart_is_the_readme_script():
    script = (ROOT / "examples" / "quickstart.py").read_text(encoding="utf-8")
    body = script.split('"""', 2)[2].lstrip("\n")  # after the module docstring
    assert body == _readme_block()


@pytest.mark.slow  # the default run end to end; tests/train/test_default_run.py runs it in CI
def test_quickstart_runs(tmp_path):
    p = subprocess.run([sys.executable, str(ROOT / "examples" / "quickstart.py")], capture_output=True, text=True, cwd=tmp_path,
                       timeout=600)
    assert p.returncode == 0, p.stderr[-2000:]
    loss, shape = p.stdout.split()[0], " ".join(p.stdout.split()[1:3])
    assert float(loss) > 0 and shape == "(64, 20)"
