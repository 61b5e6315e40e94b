"""The trajectory of a run: snapshots of (a, W) at logged steps (what trajectory.npz holds).

A snapshot is taken at a logged row whose step is at least `every` past the seed's previous snapshot,
and at every stage's first and last row (so each stage is seen). The record is bounded: at most
`MAX_SNAPSHOTS` snapshots and `MAX_BYTES` of parameters; when a seed exceeds that, every other snapshot
is dropped (the first and the latest are kept) and the spacing doubles.
"""

from __future__ import annotations

from typing import NamedTuple, Optional

import numpy as np

MAX_SNAPSHOTS = 400
MAX_BYTES = 64 * 2**20


class Trajectory(NamedTuple):
    """Snapshots of one seed's network. step (S,), stage (S,) names like "2:anneal_weight_decay",
    lam (S,), a (S, m), W (S, m, d); `every` is the spacing in force at the end."""

    step: np.ndarray
    stage: np.ndarray
    lam: np.ndarray
    a: np.ndarray
    W: np.ndarray
    every: int

    def __len__(self) -> int:
        return int(self.step.shape[0])

    def to_arrays(self) -> dict:
        return {"step": self.step, "stage": self.stage.astype(str), "lam": self.lam, "a": self.a, "W": self.W,
                "every": np.asarray(self.every)}

    @classmethod
    def from_arrays(cls, z) -> "Trajectory":
        return cls(np.asarray(z["step"], np.int64), np.asarray(z["stage"]).astype(str), np.asarray(z["lam"], np.float64),
                   np.asarray(z["a"]), np.asarray(z["W"]), int(z["every"]))


def cap(m: int, d: int, itemsize: int) -> int:
    """Snapshots kept for an (m, d) network: MAX_SNAPSHOTS, fewer when they would pass MAX_BYTES (≥ 2)."""
    return int(max(2, min(MAX_SNAPSHOTS, MAX_BYTES // max(1, m * (d + 1) * itemsize))))


class Recorder:
    """Per-seed snapshot lists, fed by the `Logger` at each row it appends."""

    def __init__(self, n_seeds: int, every: int, snaps: Optional[list] = None, spacing: Optional[list] = None):
        self.every = int(every)
        self.snaps: list[list[tuple]] = snaps if snaps is not None else [[] for _ in range(n_seeds)]
        self.spacing = spacing if spacing is not None else [self.every] * n_seeds

    @property
    def on(self) -> bool:
        return self.every > 0

    def offer(self, b: int, step: int, stage: str, lam: float, a, W, force: bool = False) -> None:
        """Seed b's row at `step`: kept when due (or `force`d); a snapshot at the same step and stage as the
        last one replaces it."""
        s = self.snaps[b]
        if s and s[-1][0] == step and s[-1][1] == stage:
            s[-1] = (step, stage, lam, np.array(a), np.array(W))
            return
        due = force or not s or step - s[-1][0] >= self.spacing[b] or s[-1][1] != stage
        if not due:
            return
        s.append((step, stage, lam, np.array(a), np.array(W)))
        limit = cap(s[-1][3].shape[0], s[-1][4].shape[1], s[-1][4].itemsize)
        if len(s) > limit:  # thin: every other snapshot, keeping the first and the latest
            keep = s[:-1:2] + [s[-1]]
            self.snaps[b] = keep
            self.spacing[b] *= 2

    def trajectory(self, b: int) -> Optional[Trajectory]:
        s = self.snaps[b]
        if not self.on or not s:
            return None
        return Trajectory(np.asarray([x[0] for x in s], np.int64), np.asarray([x[1] for x in s]).astype(str),
                          np.asarray([x[2] for x in s], np.float64), np.stack([x[3] for x in s]), np.stack([x[4] for x in s]),
                          int(self.spacing[b]))


__all__ = ["MAX_BYTES", "MAX_SNAPSHOTS", "Recorder", "Trajectory", "cap"]
