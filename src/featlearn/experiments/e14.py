"""E14: GD tracks gradient flow — from one stage-2 output and a fixed λ, GD with steps h and h/2 against
the gradient_flow stage (diffrax), compared at equal flow times t = k·h on their trajectories."""

from __future__ import annotations

import numpy as np
import pandas as pd

from featlearn.experiments.base import Claim, Context, ExperimentResult
from featlearn.records import plot

HEAD = [{"kind": "one_step"}, {"kind": "fit_second_layer", "balance": False}]


def _stage_snapshots(result, dt: float) -> dict:
    """flow time → flattened (a, W) of the last stage's trajectory snapshots."""
    t = result.trajectory
    last = [i for i, s in enumerate(t.stage) if str(s).startswith("2:")]
    start = int(t.step[last[0]])
    return {round((int(t.step[i]) - start) * dt, 9): np.concatenate([np.asarray(t.a[i]), np.asarray(t.W[i]).ravel()]) for i in last}


def run(spec: dict, size: str, ctx: Context) -> ExperimentResult:
    h, T, S, lam = float(spec["h"]), float(spec["horizon"]), int(spec["snapshots"]), float(spec["lam"])
    base = spec["base"]
    every = int(round(T / h / S))  # GD steps between snapshots at step h

    def gd(step, name, optimizer="sgd"):
        n = int(round(T / step))
        k = int(round(every * h / step))
        return ctx.run(dict(base, name=name, log_every=k, checkpoint_every=n, metrics={"trajectory_every": k},
                            stages=HEAD + [{"kind": "gd", "optimizer": optimizer, "lr": step, "lam": lam, "steps": n}]))

    flow = ctx.run(dict(base, name=base["name"] + "-flow", log_every=1, checkpoint_every=S, metrics={"trajectory_every": 1},
                        stages=HEAD + [{"kind": "gradient_flow", "lam0": lam, "factor": 1.0, "epochs": 1, "steps_per_epoch": S,
                                        "dt": every * h, "rtol": 1e-10, "atol": 1e-12}]))
    runs = {h: gd(h, base["name"] + "-gd"), h / 2: gd(h / 2, base["name"] + "-gd-half")}
    # Adam with the same lr, compared at t = step·lr: it follows its own (sign-like) dynamics, not the flow
    adam = gd(h, base["name"] + "-adam", "adam")
    ref = _stage_snapshots(flow, 1.0 * every * h)
    times = sorted(ref)
    moved = float(np.linalg.norm(ref[times[-1]] - ref[times[0]]))
    rows, frames = [], {}
    for step, r in runs.items():
        snaps = _stage_snapshots(r, step)
        dist = [float(np.linalg.norm(snaps[t] - ref[t])) for t in times if t in snaps]
        common = [t for t in times if t in snaps]
        keep = np.asarray(common) > 0  # both start at one point (distance 0 at t = 0)
        frames[f"GD, h = {step:g}"] = pd.DataFrame({"step": np.asarray(common)[keep] / h, "distance": np.asarray(dist)[keep] / max(moved, 1e-300)})
        rows += [{"h": step, "optimizer": "sgd", "time": t, "distance": d, "relative_distance": d / max(moved, 1e-300)} for t, d in zip(common, dist)]
    snaps = _stage_snapshots(adam, h)
    common = [t for t in times if t in snaps and t > 0]
    adam_dist = np.asarray([float(np.linalg.norm(snaps[t] - ref[t])) for t in common]) / max(moved, 1e-300)
    frames[f"Adam, lr = {h:g}"] = pd.DataFrame({"step": np.asarray(common) / h, "distance": adam_dist})
    rows += [{"h": h, "optimizer": "adam", "time": t, "distance": dd * moved, "relative_distance": dd} for t, dd in zip(common, adam_dist)]
    table = pd.DataFrame(rows)
    adam_rows = table[table["optimizer"] == "adam"]
    table_gd = table[table["optimizer"] == "sgd"]
    worst = {step: float(table_gd[table_gd["h"] == step]["relative_distance"].max()) for step in runs}
    final = {step: float(table_gd[(table_gd["h"] == step) & (table_gd["time"] == times[-1])]["distance"].iloc[0]) for step in runs}
    order = final[h] / max(final[h / 2], 1e-300)
    claims = [
        Claim("same start", "identical stage-2 loss in the flow and both GD runs", flow.summary["stages"][1]["end_loss"],
              all(r.summary["stages"][1]["end_loss"] == flow.summary["stages"][1]["end_loss"] for r in runs.values())),
        Claim("GD stays near the flow", f"max_t ‖θ_GD(t) − θ_flow(t)‖ ≤ 0.05 × ‖θ_flow(T) − θ_flow(0)‖ at h = {h:g}",
              worst[h], worst[h] <= 0.05 and moved > 0),
        Claim("first order in h", "distance at T for h ÷ for h/2 within [1.7, 2.3]", order, 1.7 <= order <= 2.3),
        Claim("Adam does not track the flow", f"max_t distance of Adam (lr = {h:g}, t = step·lr) ≥ 10 × that of GD at h = {h:g}",
              float(adam_rows["relative_distance"].max()) if len(adam_rows) else None,
              adam.summary["status"] == "ok" and float(adam_rows["relative_distance"].max()) >= 10 * worst[h]),
    ]
    figs = {"distance": plot("compare_curves", frames, "distance", "relative distance to the flow",
                             f"E14: GD against gradient flow (λ = {lam:g})")}
    def cost(r):  # the compared stage's wall time (compile included) and the population loss it ends at
        st = r.summary["stages"][2]
        return f"{st['seconds']:.2f} s to L = {st['end_loss']:.4g}"

    timing = (f" Wall time of the compared stage (compilation included): gradient flow {cost(flow)}; "
              f"GD at h = {h:g} {cost(runs[h])}; GD at h = {h / 2:g} {cost(runs[h / 2])}.")
    captions = {"distance": f"Distance in parameter space between GD and the gradient flow at equal flow times t (x axis: t / {h:g}, "
                            f"the GD step count at h = {h:g}), relative to how far the flow moves over the horizon T = {T:g}: ‖θ_GD(t) − θ_flow(t)‖ ÷ ‖θ_flow(T) − θ_flow(0)‖. "
                            f"Adam with lr = {h:g} is placed at t = step·lr." + timing}
    return ExperimentResult("E14", "", size, claims, table, figs, captions)
