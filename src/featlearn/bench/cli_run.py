"""P5 and P5b of DESIGN §5, §7.8: wall time of `featlearn run` (the built-in default), compile included,
each run in its own subprocess.

Every configuration runs twice with its own fresh compilation cache (`featlearn._cache`): cold (empty
cache: a first run on a new machine) and warm (the cache holds that run's programs: every later run).

- P5_seconds: the default run, cold (goal ≤ 30 s); P5_warm_seconds: the same, warm.
- P5b: time to solution — the wall time of the training stages (from the first stage's start to the end
  state, compile included; summary.json's stage seconds) of the default schedule, whose epochs end once
  converged (tol, rtol of `anneal_weight_decay`), ÷ the fixed schedule's (every epoch runs its 2000
  steps: tol = rtol = 0), both warm (goal ≤ 0.5). P5b_cold: the same, both cold. P5b_run: whole-run
  wall times (import, diagnostics, figures and report included), warm. P5b_steps: stage-2 steps ÷ the
  fixed schedule's 32 000 (goal ≤ 1/3).
- P5b_same_end_state: both runs recover the teacher (δ = 2°, tol 1e-3) with L ≤ 1e-9.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

FIXED = ["--set", "stages.2.tol=0", "--set", "stages.2.rtol=0"]


def _run(extra: list[str], cache: str) -> dict:
    env = {k: v for k, v in os.environ.items() if k != "JAX_COMPILATION_CACHE_DIR"}
    env["FEATLEARN_COMPILE_CACHE"] = cache
    with tempfile.TemporaryDirectory() as tmp:
        t = time.perf_counter()
        proc = subprocess.run([sys.executable, "-m", "featlearn", "run", "--quiet", "--out", tmp, *extra], capture_output=True,
                              text=True, env=env)
        wall = time.perf_counter() - t
        found = list(Path(tmp).glob("*/summary.json"))
        s = json.loads(found[0].read_text()) if found else {}
    stages = s.get("stages", [])
    anneal = [st for st in stages if st.get("kind") == "anneal_weight_decay"]
    return {"wall": wall, "ok": proc.returncode == 0 and s.get("status") == "ok", "steps": anneal[0]["steps"] if anneal else None,
            "train": sum(st.get("seconds", 0.0) for st in stages), "loss": s.get("final_population_loss"),
            "recovered": bool(s.get("recovered"))}


def _cold_and_warm(extra: list[str]) -> tuple[dict, dict]:
    with tempfile.TemporaryDirectory() as cache:
        return _run(extra, cache), _run(extra, cache)


def p5(quick=False) -> dict:
    cold, warm = _cold_and_warm([])
    out = {"P5_seconds": cold["wall"], "P5_warm_seconds": warm["wall"], "P5_ok": cold["ok"] and warm["ok"]}
    if quick:
        return out
    fcold, fwarm = _cold_and_warm(FIXED)
    same = all(r["ok"] and r["recovered"] and r["loss"] is not None and r["loss"] <= 1e-9 for r in (cold, warm, fcold, fwarm))
    out.update({"P5b": warm["train"] / fwarm["train"], "P5b_cold": cold["train"] / fcold["train"], "P5b_run": warm["wall"] / fwarm["wall"],
                "P5b_steps": (warm["steps"] or 0) / (fwarm["steps"] or 1), "P5b_same_end_state": same,
                "P5b_train_seconds": warm["train"], "P5b_fixed_train_seconds": fwarm["train"],
                "P5b_fixed_seconds": fcold["wall"], "P5b_fixed_warm_seconds": fwarm["wall"],
                "P5b_loss": warm["loss"], "P5b_fixed_loss": fwarm["loss"]})
    return out
