"""Run figures as pure functions: metrics table → matplotlib Figure (no pyplot state)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure


def _stage_bounds(ax, df: pd.DataFrame):
    """Dotted vertical lines where a stage starts, labelled with its kind; stages that start within a
    factor 1.6 of each other on the (log) step axis share one line and one label, so labels never overlap."""
    firsts = df.groupby("stage", sort=False)["step"].min()
    groups: list[list] = []  # [step, [labels]]
    for stage, step in firsts.items():
        if stage == "init":
            continue
        step = max(int(step), 1)
        if groups and step <= 1.6 * groups[-1][0]:
            groups[-1][1].append(stage.split(":", 1)[-1])
        else:
            groups.append([step, [stage.split(":", 1)[-1]]])
    for step, labels in groups:
        ax.axvline(step, color="0.6", ls=":", lw=0.9)
        ax.text(step, 0.99, " " + " → ".join(labels), transform=ax.get_xaxis_transform(), rotation=90,
                va="top", ha="left", fontsize=7, color="0.35")


def _x(df):
    return np.maximum(df["step"].to_numpy(), 1)


def loss_and_lambda(df: pd.DataFrame, title: str = "") -> Figure:
    """Population loss and regularised loss (left, log) and λ (right, log) against the step (log)."""
    fig = Figure(figsize=(7.5, 4.2))
    ax = fig.subplots()
    ax.loglog(_x(df), df["population_loss"].clip(lower=1e-300), color="C0", lw=1.8, label="population loss L(θ)")
    ax.loglog(_x(df), df["reg_loss"].clip(lower=1e-300), color="C0", ls="--", lw=1.0, label="training objective L_λ(θ)")
    ax.set_xlabel("step")
    ax.set_ylabel("loss")
    ax2 = ax.twinx()
    lam = df["lam"].where(df["lam"] > 0)
    ax2.loglog(_x(df), lam, color="C3", lw=1.2, drawstyle="steps-post", label="weight decay λ")
    ax2.set_ylabel("λ", color="C3")
    _stage_bounds(ax, df)
    h1, l1 = ax.get_legend_handles_labels()
    h2, l2 = ax2.get_legend_handles_labels()
    ax.legend(h1 + h2, l1 + l2, loc="lower left", fontsize=8)
    ax.set_title(title or "Loss and weight decay vs step")
    ax.grid(True, which="major", alpha=0.3)
    fig.tight_layout()
    return fig


def far_mass(df: pd.DataFrame, delta_deg: float, mass_tol: float) -> Figure:
    """Far mass (neurons more than δ from every teacher) against the step, log–log, with the tolerance."""
    fig = Figure(figsize=(7.5, 3.8))
    ax = fig.subplots()
    fm = df["far_mass"].to_numpy(float)
    ax.loglog(_x(df), np.where(fm > 0, fm, np.nan), color="C2", lw=1.8, label=f"far mass (angle > {delta_deg:g}°)")
    ax.axhline(mass_tol, color="k", ls="--", lw=0.8, label=f"tolerance {mass_tol:g}")
    zero = np.flatnonzero(fm == 0)
    if zero.size:  # an exact zero has no place on a log axis: say where it holds instead of drawing a floor
        steps = _x(df)[zero]
        text = (f"exactly 0 from step {steps[0]} on" if np.all(fm[zero[0]:] == 0)
                else f"exactly 0 at {zero.size} logged steps (first {steps[0]})")
        ax.plot(steps, np.full(steps.shape, 0.02), transform=ax.get_xaxis_transform(), ls="", marker="|", color="C2", ms=6,
                label=f"far mass = 0 ({text}; ticks at the bottom)")
    _stage_bounds(ax, df)
    ax.set_xlabel("step")
    ax.set_ylabel("Σ |a_j|‖w_j‖ over far neurons")
    ax.set_title("Far mass vs step")
    ax.legend(fontsize=8)
    ax.grid(True, alpha=0.3)
    fig.tight_layout()
    return fig


def per_teacher_mass(df: pd.DataFrame, a_star) -> Figure:
    """Signed mass Σ a_j‖w_j‖ of the neurons near each teacher against the step, with the targets a*_i."""
    fig = Figure(figsize=(7.5, 3.8))
    ax = fig.subplots()
    for i, a in enumerate(np.asarray(a_star)):
        ax.semilogx(_x(df), df[f"signed_mass_{i}"], color=f"C{i}", lw=1.6, label=f"teacher {i} (a* = {a:+g})")
        ax.axhline(a, color=f"C{i}", ls="--", lw=0.8)
    _stage_bounds(ax, df)
    ax.set_xlabel("step")
    ax.set_ylabel("signed mass near teacher")
    ax.set_title("Per-teacher signed mass (dashed: a*_i)")
    ax.legend(fontsize=8, loc="best")
    ax.grid(True, alpha=0.3)
    fig.tight_layout()
    return fig
