"""The metric rows of a batch of seeds: one row per seed and logged step (what metrics.parquet holds).

A seed that has stopped (target loss, divergence, its last step) while others of its batch go on gets
no further rows, so a batched seed logs exactly the rows of a separate run.
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd

from featlearn.train.trajectory import Recorder

COLUMNS = ("population_loss", "reg_loss", "far_mass", "max_angle_deg")


class Logger:
    """Collects rows per seed (`rows[b]` is seed b's list of dicts) and, with a `Recorder` that is on,
    the trajectory snapshots taken at those rows."""

    def __init__(self, n_seeds: int, t0: float, rows: list | None = None, recorder: Recorder | None = None):
        self.t0 = t0
        self.rows: list[list[dict]] = rows if rows is not None else [[] for _ in range(n_seeds)]
        self.recorder = recorder if recorder is not None else Recorder(n_seeds, 0)

    def snapshot(self, steps, stage: str, lam, params, force: bool = False) -> None:
        """Offer every seed's parameters at `steps[b]` to the trajectory (no-op when it is off)."""
        if not self.recorder.on:
            return
        n = len(self.rows)
        steps = np.broadcast_to(np.asarray(steps, int), (n,))
        lam = np.broadcast_to(np.asarray(lam, float), (n,))
        a, W = np.asarray(params.a), np.asarray(params.W)
        for b in range(n):
            self.recorder.offer(b, int(steps[b]), stage, float(lam[b]), a[b], W[b], force=force)

    def log(self, steps, stage: str, lam, metrics: dict, grad_norm, new_only: bool = False, params=None) -> None:
        """One row per seed at global step `steps[b]`; with `new_only`, skip a seed whose last row is
        already at that step of that stage (it did not move). With `params` (batched), the rows are
        offered to the trajectory."""
        n = len(self.rows)
        steps = np.broadcast_to(np.asarray(steps, int), (n,))
        lam = np.broadcast_to(np.asarray(lam, float), (n,))
        grad_norm = np.broadcast_to(np.asarray(grad_norm, float), (n,))
        host = {k: np.asarray(v) for k, v in metrics.items()}
        wall = time.perf_counter() - self.t0
        for b in range(n):
            last = self.rows[b][-1] if self.rows[b] else None
            if new_only and last is not None and last["stage"] == stage and last["step"] == int(steps[b]):
                continue
            row = {"step": int(steps[b]), "stage": stage, "lam": float(lam[b])}
            row.update({k: float(host[k][b]) for k in COLUMNS})
            row["grad_norm"] = float(grad_norm[b])
            row["wall_seconds"] = wall
            row.update({f"signed_mass_{i}": float(x) for i, x in enumerate(host["signed_mass"][b])})
            self.rows[b].append(row)
            if params is not None and self.recorder.on:
                self.recorder.offer(b, int(steps[b]), stage, float(lam[b]), np.asarray(params.a[b]), np.asarray(params.W[b]))

    def frame(self, b: int) -> pd.DataFrame:
        return pd.DataFrame(self.rows[b])


__all__ = ["COLUMNS", "Logger"]
