"""Experiment figures as pure functions: tables → matplotlib Figure."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

LOG_FLOOR = 1e-16  # values ≤ this (exact zeros) are drawn at the floor on log axes


def _finish(fig, ax, xlabel: str, ylabel: str, title: str, which: str = "both") -> Figure:
    """Labels, title, grid and legend: the common ending of every figure here."""
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.grid(True, which=which, alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def compare_curves(frames: dict, column: str, ylabel: str, title: str, logy: bool = True, hline=None, hlabel=None) -> Figure:
    """One curve per labelled metrics table: `column` against the step (log x)."""
    fig = Figure(figsize=(7.5, 4.0))
    ax = fig.subplots()
    for i, (label, df) in enumerate(frames.items()):
        y = df[column].to_numpy(float)
        x = np.maximum(df["step"].to_numpy(), 1)
        (ax.loglog if logy else ax.semilogx)(x, np.clip(y, LOG_FLOOR, None) if logy else y, color=f"C{i}", lw=1.8, label=label)
    if hline is not None:
        ax.axhline(hline, color="k", ls="--", lw=0.8, label=hlabel)
    return _finish(fig, ax, "step", ylabel + (f" (0 drawn at {LOG_FLOOR:g})" if logy else ""), title, which="major")


def neuron_angles(angles_deg, masses, delta_deg: float, mass_tol: float, title: str) -> Figure:
    """Final angle of each neuron to its nearest teacher against its mass (log–log), with δ and the mass tolerance."""
    fig = Figure(figsize=(6.5, 4.2))
    ax = fig.subplots()
    m = np.maximum(np.asarray(masses, float), 1e-18)
    a = np.maximum(np.asarray(angles_deg, float), 1e-6)
    ax.loglog(m, a, "o", ms=5, alpha=0.8, color="C0", label="neurons")
    ax.axhline(delta_deg, color="C3", ls="--", lw=0.9, label=f"δ = {delta_deg:g}°")
    ax.axvline(mass_tol, color="k", ls=":", lw=0.9, label=f"mass tolerance {mass_tol:g}")
    return _finish(fig, ax, "mass |a_j|·‖w_j‖", "angle to nearest teacher (deg)", title)


def final_vs_parameter(df: pd.DataFrame, x: str, y: str, xlabel: str, ylabel: str, title: str, hline=None, hlabel=None) -> Figure:
    """A final metric against a swept parameter (log–log), with an optional reference line."""
    fig = Figure(figsize=(6.5, 4.2))
    ax = fig.subplots()
    ax.loglog(df[x], df[y].clip(lower=1e-300), "o-", color="C0", lw=1.6, label=ylabel)
    if hline is not None:
        ax.axhline(hline, color="C3", ls="--", lw=1.2, label=hlabel)
    return _finish(fig, ax, xlabel, ylabel, title)


def bars(labels, values, ylabel: str, title: str, threshold=None, threshold_label=None, logy=False) -> Figure:
    fig = Figure(figsize=(6.0, 4.0))
    ax = fig.subplots()
    ax.bar(labels, values, color=[f"C{i}" for i in range(len(labels))])
    if threshold is not None:
        ax.axhline(threshold, color="k", ls="--", lw=0.9, label=threshold_label)
        ax.legend(fontsize=8)
    if logy:
        ax.set_yscale("log")
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.grid(True, axis="y", alpha=0.3)
    fig.tight_layout()
    return fig


def collapse_plot(emp: pd.DataFrame, pop: pd.Series, xlabel: str, ylabel: str, title: str) -> Figure:
    """One curve per column of `emp` (index: the x value) and a dashed level per entry of `pop`."""
    fig = Figure(figsize=(7.0, 4.2))
    ax = fig.subplots()
    for i, col in enumerate(emp.columns):
        ax.semilogx(emp.index, emp[col], "o-", color=f"C{i}", lw=1.6, label=f"d = {col} (n₁ samples)")
        if col in pop.index:
            ax.axhline(float(pop[col]), color=f"C{i}", ls="--", lw=0.9)
    ax.plot([], [], "k--", lw=0.9, label="population gradient")
    ax.set_ylim(0, 1.02)
    return _finish(fig, ax, xlabel, ylabel, title)


def methods_vs_n(df: pd.DataFrame, title: str, hline=None, hlabel=None) -> Figure:
    """Test loss against n (log–log), one line per method, with standard-error bars where given, and an
    optional dashed level `hline` (labelled `hlabel`)."""
    fig = Figure(figsize=(7.0, 4.4))
    ax = fig.subplots()
    for i, (method, g) in enumerate(df.groupby("method", sort=False)):
        g = g.sort_values("n")
        ax.errorbar(g["n"], g["test_loss"].clip(lower=1e-300), yerr=g["stderr"].fillna(0), fmt="o-", color=f"C{i}", lw=1.6, capsize=3, label=method)
    if hline is not None:
        ax.axhline(hline, color="0.3", ls="--", lw=1.0, label=hlabel)
    ax.set_xscale("log")
    ax.set_yscale("log")
    return _finish(fig, ax, "number of training samples n", "excess test loss", title)


def panels_by_group(df: pd.DataFrame, group: str, x: str, y: str, curve: str, xlabel: str, ylabel: str, title: str,
                    panel_title: str = "{}", hline=None, hlabel=None) -> Figure:
    """One panel per value of `group` (side by side, shared y), one curve per value of `curve` against `x`
    (log x); `panel_title` formats the group value; an optional dashed level `hline`."""
    groups = list(dict.fromkeys(df[group]))
    fig = Figure(figsize=(4.0 * len(groups), 4.0))
    axes = fig.subplots(1, len(groups), sharey=True, squeeze=False)[0]
    for ax, g in zip(axes, groups):
        sub = df[df[group] == g]
        for i, (c, cd) in enumerate(sub.groupby(curve, sort=True)):
            cd = cd.sort_values(x)
            ax.semilogx(cd[x], cd[y], "o-", color=f"C{i}", lw=1.6, label=f"{curve} = {c}")
        if hline is not None:
            ax.axhline(hline, color="k", ls="--", lw=0.9, label=hlabel)
        ax.set_title(panel_title.format(g), fontsize=10)
        ax.set_xlabel(xlabel)
        ax.grid(True, which="both", alpha=0.3)
    axes[0].set_ylabel(ylabel)
    axes[0].legend(fontsize=8, loc="best")
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def _fit_label(fit: dict, variable: str) -> str:
    return f"fit: slope {fit['slope']:.3g} [{fit['low']:.3g}, {fit['high']:.3g}] in log {variable}" if fit["form"] == "power" \
        else f"fit: {fit['slope']:.3g} [{fit['low']:.3g}, {fit['high']:.3g}] per unit of ln {variable}"


def fitted_points(df: pd.DataFrame, x: str, series: list, xlabel: str, ylabel: str, title: str, logy: bool = True,
                  variable: str = "x") -> Figure:
    """Measured points and their fitted lines: `series` is a list of dicts {"column", "label", "fit"} (`fit`:
    `featlearn.fits.Fit.as_dict()` or None; a power law is a straight line on log–log axes, a log law on
    a log x axis), optionally {"group": value, "by": column} to take only those rows. Log x always."""
    fig = Figure(figsize=(6.8, 4.4))
    ax = fig.subplots()
    for i, s in enumerate(series):
        d = df if "by" not in s else df[df[s["by"]] == s["group"]]
        d = d.sort_values(x)
        if s.get("censored"):  # bounds, not measurements: ▲ the value is above the point, ▼ below; not part of the fit
            for kind, marker in (("above", "^"), ("below", "v")):
                b = d[d[s["censored"]] == kind]
                if len(b):
                    ax.plot(b[x].to_numpy(float), b[s["column"]].to_numpy(float), marker, color=f"C{i}", ms=7, mfc="none",
                            label=f"{s['label']}: {'>' if kind == 'above' else '≤'} (censored)")
            d = d[d[s["censored"]].fillna("") == ""]
        xv, yv = d[x].to_numpy(float), d[s["column"]].to_numpy(float)
        ax.plot(xv, np.clip(yv, LOG_FLOOR, None) if logy else yv, "o", color=f"C{i}", ms=5, label=s["label"])
        fit = s.get("fit")
        if fit and np.isfinite(xv).any():
            grid = np.geomspace(np.nanmin(xv), np.nanmax(xv), 50)
            lg = np.log(grid)
            yf = np.exp(fit["intercept"] + fit["slope"] * lg) if fit["form"] == "power" else fit["intercept"] + fit["slope"] * lg
            ax.plot(grid, yf, "-", color=f"C{i}", lw=1.3, alpha=0.8, label=_fit_label(fit, variable))
    ax.set_xscale("log")
    xs = df[x].to_numpy(float)
    xs = xs[np.isfinite(xs) & (xs > 0)]
    if xs.size and xs.max() / xs.min() < 10:  # under a decade: label the measured x values, not 6×10⁰
        from matplotlib.ticker import FixedLocator, NullFormatter, NullLocator, ScalarFormatter

        ax.xaxis.set_major_locator(FixedLocator(np.unique(xs)))
        ax.xaxis.set_major_formatter(ScalarFormatter())
        ax.xaxis.set_minor_locator(NullLocator())
        ax.xaxis.set_minor_formatter(NullFormatter())
    if logy:
        ax.set_yscale("log")
    return _finish(fig, ax, xlabel, ylabel, title)


def success_vs_level(df: pd.DataFrame, x: str, y: str, group: str, thresholds: dict, xlabel: str, ylabel: str, title: str) -> Figure:
    """Success fraction against a level (log x), one curve per `group` value, with each group's fitted
    logistic curve and its threshold x₀ (dotted) from `thresholds` (group value → `featlearn.fits.Threshold.as_dict()`)."""
    fig = Figure(figsize=(7.0, 4.4))
    ax = fig.subplots()
    for i, (g, d) in enumerate(df.groupby(group, sort=False)):
        d = d.sort_values(x)
        ax.semilogx(d[x], d[y], "o", color=f"C{i}", ms=5, label=f"{g}")
        t = thresholds.get(g) or thresholds.get(str(g))
        if t:
            grid = np.geomspace(d[x].min(), d[x].max(), 100)
            s = t["width_decades"] / (2 * np.log(9.0))
            ax.semilogx(grid, 1 / (1 + np.exp((np.log10(grid) - np.log10(t["x0"])) / s)), "-", color=f"C{i}", lw=1.2, alpha=0.8)
            ax.axvline(t["x0"], color=f"C{i}", ls=":", lw=1.0, label=f"ε₀ = {t['x0']:.2g} [{t['low']:.2g}, {t['high']:.2g}]")
    ax.set_ylim(-0.05, 1.05)
    return _finish(fig, ax, xlabel, ylabel, title)
