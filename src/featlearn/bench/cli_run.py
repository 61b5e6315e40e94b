"""P5 of DESIGN §5: wall time of `featlearn run` (built-in default), compile included, in a subprocess."""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time


def p5(quick=False) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        t = time.perf_counter()
        proc = subprocess.run([sys.executable, "-m", "featlearn", "run", "--quiet", "--out", tmp], capture_output=True, text=True)
        wall = time.perf_counter() - t
    return {"P5_seconds": wall, "P5_ok": proc.returncode == 0}
