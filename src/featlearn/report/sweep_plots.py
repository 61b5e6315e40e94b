"""Sweep figures as pure functions: results table → matplotlib Figure (no pyplot state).

For one grid axis, each chosen metric is summarised per axis value over everything else that varies
(seeds and the other axes): the mean (line and markers), the min–max range (band) and every run (dots).
Losses and masses use a log y-scale, where the line is the geometric mean (the mean of log10, which a
log axis shows undistorted); booleans (`recovered`) are shown as the fraction of runs.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import FixedLocator

LABELS = {
    "final_population_loss": "final population loss L(θ)",
    "far_mass": "far mass",
    "recovered": "fraction recovered",
    "max_angle_deg": "max neuron–teacher angle (°)",
    "relative_weight_movement": "relative ‖ΔW‖",
    "certificate_sup": "sup |η_λ|",
    "wall_seconds": "wall time (s)",
}
LOG_METRICS = ("final_population_loss", "far_mass", "relative_weight_movement")
_THRESHOLDS = {"far_mass": ("metrics.mass_tol", "mass tolerance"), "max_angle_deg": ("metrics.delta_deg", "δ")}


def axis_values(df: pd.DataFrame, axis: str) -> pd.Series:
    """The value of a grid axis in each row: its column, or (an axis that sets a whole section, e.g.
    `init`) the section's flattened columns joined into one label."""
    if axis in df.columns:
        return df[axis]
    cols = [c for c in df.columns if c.startswith(axis + ".")]
    if not cols:
        raise KeyError(f"no column for grid axis {axis!r}")
    return df[cols].astype(str).agg(", ".join, axis=1)


def _numeric(values) -> bool:
    return all(isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, (bool, np.bool_)) for v in values)


def metric_values(df: pd.DataFrame, metric: str) -> pd.Series:
    """A metric column as floats (booleans as 0/1; missing values, e.g. of failed runs, as NaN)."""
    if metric not in df:
        return pd.Series(np.nan, index=df.index, dtype=float)
    col = df[metric]
    return pd.Series([np.nan if v is None else float(v) for v in col.astype(object)], index=df.index, dtype=float) \
        if col.dtype == object or col.dtype == bool else pd.to_numeric(col, errors="coerce").astype(float)


def _is_bool(df: pd.DataFrame, metric: str) -> bool:
    return metric in df and all(isinstance(v, (bool, np.bool_)) for v in df[metric].dropna())


def axis_summary(df: pd.DataFrame, axis: str, metric: str) -> pd.DataFrame:
    """Per value of `axis` (in first-seen order): n, mean, geometric mean (gmean; NaN unless every value is
    positive), min, max, std of `metric` over the other rows.

    Rows whose metric is missing (failed or diverged runs) are left out; `n` counts the rest."""
    x = axis_values(df, axis)
    y = metric_values(df, metric)
    order = list(dict.fromkeys(x.tolist()))
    rows = []
    for v in order:
        vals = y[(x == v).to_numpy()].dropna().to_numpy(float)
        pos = vals[vals > 0]
        rows.append({"value": v, "n": len(vals), "mean": vals.mean() if len(vals) else np.nan,
                     "gmean": float(np.exp(np.log(pos).mean())) if len(pos) and len(pos) == len(vals) else np.nan,
                     "min": vals.min() if len(vals) else np.nan, "max": vals.max() if len(vals) else np.nan,
                     "std": vals.std() if len(vals) else np.nan})
    return pd.DataFrame(rows)


def _positions(values: list):
    """x positions and whether the axis is numeric / logarithmic."""
    if _numeric(values):
        xs = np.asarray(values, float)
        log = bool(np.all(xs > 0) and xs.max() / xs.min() >= 10)
        return xs, True, log
    return np.arange(len(values), dtype=float), False, False


def _label(v) -> str:
    if isinstance(v, float):
        return f"{v:g}"
    text = v if isinstance(v, str) else json.dumps(v)
    return text if len(text) <= 18 else text[:15] + "..."


def metrics_vs_axis(df: pd.DataFrame, axis: str, metrics, title: str = "") -> Figure:
    """One panel per metric: the metric against the values of `axis` (mean — geometric on a log scale —,
    min–max band, every run).

    Args:
      df: the sweep's results table (results.parquet), one row per run.
      axis: a grid key (a column of `df`, e.g. "stages.2.lam0").
      metrics: summary fields to plot (columns of `df`).
      title: figure title (default: "<metrics> vs <axis>").

    Returns:
      matplotlib Figure.
    """
    metrics = list(metrics)
    ncols = min(2, len(metrics))
    nrows = math.ceil(len(metrics) / ncols)
    fig = Figure(figsize=(5.2 * ncols, 3.7 * nrows))
    axes = np.atleast_1d(fig.subplots(nrows, ncols, squeeze=False)).ravel()
    x_all = axis_values(df, axis)
    stats0 = axis_summary(df, axis, metrics[0])
    xs, numeric, logx = _positions(stats0["value"].tolist())
    pos = {json.dumps(v, default=str): p for v, p in zip(stats0["value"].tolist(), xs)}
    row_x = np.asarray([pos[json.dumps(v, default=str)] for v in x_all.tolist()])
    for ax, metric in zip(axes, metrics):
        st = axis_summary(df, axis, metric)
        is_bool = _is_bool(df, metric)
        y = metric_values(df, metric).to_numpy(float)
        log = metric in LOG_METRICS and bool(np.all(y[np.isfinite(y)] > 0)) and np.isfinite(y).any()
        if not is_bool:
            ax.fill_between(xs, st["min"], st["max"], color="C0", alpha=0.18, lw=0, label="min–max")
            jitter = 0.0 if numeric else 0.06
            rng = np.random.default_rng(0)
            ax.scatter(row_x + jitter * rng.uniform(-1, 1, len(row_x)), y, s=22, color="C0", alpha=0.6, edgecolors="white", linewidths=0.5, label="runs", zorder=3)
        centre, what = (st["gmean"], "geometric mean") if log else (st["mean"], "mean" if not is_bool else "fraction of runs")
        ax.plot(xs, centre, "o-", color="C0" if not is_bool else "C2", lw=1.8, ms=6, label=what)
        if is_bool:
            ax.set_ylim(-0.05, 1.05)
        if log:
            ax.set_yscale("log")
        if logx:
            ax.set_xscale("log")
        thr = _THRESHOLDS.get(metric)
        if thr and thr[0] in df and df[thr[0]].nunique() == 1:
            ax.axhline(float(df[thr[0]].iloc[0]), color="k", ls="--", lw=0.8, label=f"{thr[1]} = {float(df[thr[0]].iloc[0]):g}")
        ax.set_xlabel(axis)
        ax.set_ylabel(LABELS.get(metric, metric))
        ax.xaxis.set_major_locator(FixedLocator(xs))
        ax.set_xticklabels([_label(v) for v in st["value"]], rotation=0 if len(xs) <= 6 else 45)
        ax.xaxis.set_minor_locator(FixedLocator([]))
        ax.grid(True, which="major", alpha=0.3)
        n = st["n"].tolist()
        ax.set_title(f"{LABELS.get(metric, metric)}  (n per value: {min(n)}–{max(n)})" if min(n) != max(n) else
                     f"{LABELS.get(metric, metric)}  (n = {n[0]} per value)", fontsize=9)
        ax.legend(fontsize=7, loc="best")
    for ax in axes[len(metrics):]:
        ax.set_visible(False)
    fig.suptitle(title or f"metrics vs {axis} (mean, min–max band and runs over seeds and the other axes)", fontsize=11)
    fig.tight_layout()
    return fig


def status_counts(df: pd.DataFrame) -> dict:
    """{"ok": n, "diverged": n, "failed": n} of a results table."""
    counts = df["status"].value_counts().to_dict() if "status" in df else {}
    return {k: int(counts.get(k, 0)) for k in ("ok", "diverged", "failed")}


__all__ = ["axis_summary", "axis_values", "metric_values", "metrics_vs_axis", "status_counts"]
