"""P2 of DESIGN §5: PyTorch eager autograd step on the same closed-form objective ÷ featlearn step."""

from __future__ import annotations

import math

import numpy as np

from featlearn.bench.population import _problem, featlearn_step_seconds
from featlearn.bench.timing import best_time


def _torch_step_seconds(params, teacher, lam=1e-3, lr=0.1, steps=20) -> float:
    import torch

    torch.set_num_threads(2)
    a = torch.tensor(np.asarray(params.a), dtype=torch.float64, requires_grad=True)
    W = torch.tensor(np.asarray(params.W), dtype=torch.float64, requires_grad=True)
    a_s = torch.tensor(np.asarray(teacher.a), dtype=torch.float64)
    W_s = torch.tensor(np.asarray(teacher.W), dtype=torch.float64)

    def loss():
        Z = torch.cat([W, W_s])
        b = torch.cat([a, -a_s])
        r = Z.norm(dim=1)
        c = ((Z @ Z.T) / (r[:, None] * r[None, :])).clamp(-1 + 1e-12, 1 - 1e-12)
        h = torch.sqrt(1 - c * c) + (math.pi - torch.arccos(c)) * c
        g = (h - 1) / (2 * math.pi) - c / 4  # relu_trim
        K = r[:, None] * r[None, :] * g
        return 0.5 * b @ K @ b + 0.5 * lam * (a.pow(2).sum() + W.pow(2).sum())

    def run():
        for _ in range(steps):
            a.grad = W.grad = None
            loss().backward()
            with torch.no_grad():
                a.sub_(lr * a.grad)
                W.sub_(lr * W.grad)

    return best_time(run, repeat=3) / steps


def p2(quick=False) -> dict:
    try:
        import torch  # noqa: F401
    except ImportError:
        return {"P2": None, "P2b": None, "P2_note": "skipped: PyTorch is not installed (pip install torch==2.13.0 for this figure)"}
    out = {}
    for key, (m, d) in (("P2", (64, 20)), ("P2b", (256, 100))):
        params, teacher = _problem(d, m, 5 if d == 100 else 3)
        ours = featlearn_step_seconds(params, teacher, steps=50 if quick else 200)
        theirs = _torch_step_seconds(params, teacher)
        out[key] = theirs / ours
        out[f"{key}_torch_step_ms"], out[f"{key}_featlearn_step_ms"] = theirs * 1e3, ours * 1e3
    return out
