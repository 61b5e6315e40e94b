"""The metric rows of a batch of seeds: one row per seed and logged step (what metrics.parquet holds).

A seed that has stopped (target loss, divergence, its last step) while others of its batch go on gets
no further rows, so a batched seed logs exactly the rows of a separate run.
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd

COLUMNS = ("population_loss", "reg_loss", "far_mass", "max_angle_deg")


class Logger:
    """Collects rows per seed (`rows[b]` is seed b's list of dicts)."""

    def __init__(self, n_seeds: int, t0: float, rows: list | None = None):
        self.t0 = t0
        self.rows: list[list[dict]] = rows if rows is not None else [[] for _ in range(n_seeds)]

    def log(self, steps, stage: str, lam, metrics: dict, grad_norm, new_only: bool = False) -> None:
        """One row per seed at global step `steps[b]`; with `new_only`, skip a seed whose last row is
        already at that step of that stage (it did not move)."""
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

    def frame(self, b: int) -> pd.DataFrame:
        return pd.DataFrame(self.rows[b])


__all__ = ["COLUMNS", "Logger"]
