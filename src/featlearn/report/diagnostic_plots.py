r"""Figures of the diagnostics (DESIGN §1.5–1.7): pure functions data → `matplotlib.figure.Figure`.

Figures are built with `matplotlib.figure.Figure` directly (no pyplot, no global backend state); save
with ``fig.savefig(path, dpi=...)``. Colours: red = positive output weight (a > 0), blue = negative.

* `alignment_heatmap`      |cos(ŵ_j, w*_i)|, neurons sorted by nearest teacher, with angle and mass bars
* `teacher_plane`          neuron directions projected on the teacher plane (size ∝ mass, colour = sign)
* `certificate_circles`    η_λ and the constructed η along great circles through teacher pairs
* `certificate_sphere`     d = 3: η over the whole sphere (lat–lon map), |η| = 1 contour, teachers
* `hessian_spectrum_plot`  sorted Hessian eigenvalues on a symlog axis
* `descent_picture_2d`     d = 2: neurons, teachers, −∇_W L_λ and w̃ − w (the paper's Fig. 1)
* `descent_fraction_plot`  fraction of probes in the regime / satisfying the inequality, vs angle
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import LogLocator, NullFormatter

from featlearn.diagnostics.sphere import plane_basis
from featlearn.gaussian.kernels import unit_rows_np

POS, NEG = "#c0392b", "#2166ac"


def _sign_colors(x) -> list[str]:
    return [POS if v >= 0 else NEG for v in np.asarray(x)]


def alignment_heatmap(al, *, title: str = "Alignment with the teacher") -> Figure:
    """|cos(ŵ_j, w*_i)| (neurons × teachers), neurons sorted by nearest teacher then angle; side bars
    with the angle to the nearest teacher (log scale, δ marked) and the mass μ_j (colour = sign of a_j).

    Args:
      al: an `featlearn.diagnostics.Alignment`.
    """
    C = np.abs(np.asarray(al.cosine))
    ang = np.asarray(al.angle_deg)
    mu = np.asarray(al.mass)
    sm = np.asarray(al.signed_mass)
    a_star = np.asarray(al.a_star)
    m, m_star = C.shape
    order = np.lexsort((ang, np.asarray(al.nearest)))
    fig = Figure(figsize=(9.0, max(3.5, min(12.0, 1.5 + 0.12 * m))), layout="constrained")
    gs = fig.add_gridspec(1, 3, width_ratios=[max(2.0, 0.6 * m_star), 1.6, 1.6])
    ax = fig.add_subplot(gs[0])
    im = ax.imshow(C[order], aspect="auto", cmap="viridis", vmin=0.0, vmax=1.0, interpolation="nearest")
    ax.set_xticks(range(m_star), [f"w*{i}\na*={a_star[i]:+.2g}" for i in range(m_star)])
    ax.set_ylabel("student neuron (sorted by nearest teacher)")
    ax.set_xlabel("teacher neuron")
    ax.set_title("|cos(ŵ_j, w*_i)|", fontsize=10)
    fig.colorbar(im, ax=ax, location="top", shrink=0.8, pad=0.01, label="|cosine|")
    y = np.arange(m)
    ax2 = fig.add_subplot(gs[1], sharey=ax)
    shown = np.maximum(ang[order], 1e-6)
    ax2.barh(y, shown, color="0.4", height=0.8)
    ax2.set_xscale("log")
    lo = min(shown.min(), float(al.delta_deg)) / 3.0
    hi = max(shown.max(), float(al.delta_deg)) * 3.0
    ax2.set_xlim(lo, hi)
    ax2.xaxis.set_major_locator(LogLocator(base=10.0, numticks=6))
    ax2.xaxis.set_minor_formatter(NullFormatter())
    ax2.axvline(float(al.delta_deg), color="k", ls="--", lw=1, label=f"δ = {float(al.delta_deg):g}°")
    ax2.set_xlabel("angle to nearest teacher\n(deg, log; floor 1e-6)")
    ax2.legend(loc="upper left", fontsize=8, framealpha=0.9)
    ax2.tick_params(labelleft=False)
    ax3 = fig.add_subplot(gs[2], sharey=ax)
    ax3.barh(y, mu[order], color=_sign_colors(sm[order]), height=0.8)
    ax3.axvline(float(al.mass_tol), color="k", ls=":", lw=1)
    ax3.set_xlabel("mass μ_j = |a_j|‖w_j‖")
    ax3.tick_params(labelleft=False)
    ax3.legend(
        handles=[Line2D([], [], color=POS, lw=6, label="a_j > 0"), Line2D([], [], color=NEG, lw=6, label="a_j < 0"),
                 Line2D([], [], color="k", ls=":", label=f"mass tol {float(al.mass_tol):g}")],
        loc="lower right", fontsize=8, framealpha=0.9,
    )
    status = "recovered" if bool(al.recovered) else "not recovered"
    merr = float(np.max(np.abs(np.asarray(al.per_teacher_signed_mass) - a_star)))
    fig.suptitle(f"{title}: {status}\nfar mass {float(al.far_mass):.2e}, max angle {float(al.max_angle_deg):.3g}°, "
                 f"max |signed mass − a*| {merr:.2e} (tolerance {float(al.mass_tol):g})")
    return fig





def draw_teachers(ax, Ws, As, teachers, e1, e2, *, mirrored: bool, size: float, zorder: int, label_mirror: bool = False) -> None:
    """Teachers `teachers` as stars on the plane (e1, e2), colour = sign a*; hollow stars at −w* when
    ±w is the same feature (`mirrored`)."""
    fs = 9 if label_mirror else 8
    for q in teachers:
        p = np.array([Ws[q] @ e1, Ws[q] @ e2])
        c = POS if As[q] >= 0 else NEG
        ax.scatter(*p, marker="*", s=size, c=c, edgecolors="k", linewidths=0.8, zorder=zorder)
        ax.annotate(f"w*{q}", p, textcoords="offset points", xytext=(9, 6), fontsize=fs)
        if mirrored:
            ax.scatter(*(-p), marker="*", s=size, facecolors="none", edgecolors=c, linewidths=1.3, zorder=zorder)
            if label_mirror:
                ax.annotate(f"−w*{q}", -p, textcoords="offset points", xytext=(9, 6), fontsize=fs, color="0.3")


def teacher_plane(params, teacher, *, even: bool = False, max_panels: int = 3,
                  title: str = "Neurons on teacher planes") -> Figure:
    """Student directions ŵ_j projected on the plane span(w*_i, w*_j) of teacher pairs (one panel per
    pair, at most `max_panels`; a single panel for m* = 2). Marker area ∝ mass μ_j, colour = sign(a_j);
    neurons whose nearest teacher is not in the pair are drawn small and grey. Teachers are stars
    (filled at w*, hollow at −w* for an even feature, where it is the same feature).

    Points lie in the unit disc: a unit direction in the plane lands on the circle, one out of it inside.
    """
    W = np.asarray(params.W, float)
    a = np.asarray(params.a, float)
    Ws = np.asarray(teacher.W, float)
    Ws = unit_rows_np(Ws)
    As = np.asarray(teacher.a, float)
    r = np.linalg.norm(W, axis=1)
    U = unit_rows_np(W)
    mu = np.abs(a) * r
    C = U @ Ws.T
    nearest = np.argmax(np.abs(C) if even else C, axis=1)
    m_star = Ws.shape[0]
    if m_star == 1:
        raise ValueError("teacher_plane: needs m* ≥ 2 teacher neurons")
    pairs = [(i, j) for i in range(m_star) for j in range(i + 1, m_star)][:max_panels]
    fig = Figure(figsize=(5.2 * len(pairs), 5.6), layout="constrained")
    sizes = 8.0 + 400.0 * mu / max(mu.max(), 1e-300)
    colors = np.array(_sign_colors(a))
    t = np.linspace(0, 2 * np.pi, 400)
    for k, (i, j) in enumerate(pairs):
        ax = fig.add_subplot(1, len(pairs), k + 1)
        e1, e2 = plane_basis(Ws[i], Ws[j])
        P = np.stack([U @ e1, U @ e2], axis=1)
        ax.plot(np.cos(t), np.sin(t), color="0.75", lw=1, zorder=0)
        mine = np.isin(nearest, (i, j))
        ax.scatter(P[~mine, 0], P[~mine, 1], s=6, c="0.7", zorder=1)
        order = np.flatnonzero(mine)[np.argsort(-mu[mine])]
        ax.scatter(P[order, 0], P[order, 1], s=sizes[order], c=colors[order], alpha=0.55, edgecolors="k",
                   linewidths=0.3, zorder=2)
        draw_teachers(ax, Ws, As, (i, j), e1, e2, mirrored=even, size=260, zorder=3, label_mirror=True)
        ax.set_aspect("equal")
        ax.set_xlim(-1.15, 1.15)
        ax.set_ylim(-1.15, 1.15)
        ax.set_xlabel(f"ŵ · w*{i}")
        ax.set_ylabel(f"ŵ · (w*{j} ⊥ w*{i}, normalised)")
        ax.set_title(f"plane of teachers {i} and {j}", fontsize=10)
    handles = [
        Line2D([], [], marker="o", ls="", color=POS, alpha=0.6, label="neuron, a > 0 (area ∝ mass)"),
        Line2D([], [], marker="o", ls="", color=NEG, alpha=0.6, label="neuron, a < 0"),
        Line2D([], [], marker="o", ls="", color="0.7", markersize=4, label="neuron of another teacher"),
        Line2D([], [], marker="*", ls="", color="0.5", markeredgecolor="k", markersize=13, label="teacher w* (colour = sign a*)"),
    ]
    if even:
        handles.append(Line2D([], [], marker="*", ls="", markerfacecolor="none", markeredgecolor="0.3", markersize=13,
                              label="−w*: the same feature (even σ)"))
    fig.legend(handles=handles, loc="outside lower center", ncol=3, fontsize=8)
    fig.suptitle(title)
    return fig


def certificate_circles(circles: Sequence, *, title: str = "Certificates on great circles through teacher pairs") -> Figure:
    """η along great circles through teacher pairs (one panel per pair): every function in
    ``circle.values`` (e.g. the empirical η_λ and the constructed η) on the same axes, horizontal lines
    at ±1, vertical lines at the teachers (labels w*i, −w*i).

    Args:
      circles: `featlearn.diagnostics.GreatCircle` records (from `great_circles`).
    """
    n = len(circles)
    cols = min(3, max(n, 1))
    rows = int(np.ceil(max(n, 1) / cols))
    fig = Figure(figsize=(4.6 * cols, 3.4 * rows + 0.6), layout="constrained")
    styles = ["-", "--", "-.", ":"]
    colors = ["#1b7837", "#762a83", "#e08214", "0.3"]
    for k, gc in enumerate(circles):
        ax = fig.add_subplot(rows, cols, k + 1)
        vmax = 1.0
        for q, (name, v) in enumerate(gc.values.items()):
            v = np.asarray(v)
            ax.plot(gc.angles_deg, v, ls=styles[q % 4], color=colors[q % 4], lw=1.6, label=name)
            vmax = max(vmax, float(np.nanmax(np.abs(v))))
        for y in (1.0, -1.0):
            ax.axhline(y, color="k", lw=0.8, ls="--")
        lim = min(max(1.25, 1.08 * vmax), 4.0)
        ax.set_ylim(-lim, lim)
        for label, x in gc.marks.items():
            ax.axvline(x, color=POS if gc.signs[label] >= 0 else NEG, lw=0.9, ls=":")
        ax.set_xlim(-180, 180)
        top = ax.secondary_xaxis("top")
        labels = list(gc.marks)
        top.set_xticks([gc.marks[q] for q in labels], labels, fontsize=8)
        for tick, q in zip(top.get_xticklabels(), labels):
            tick.set_color(POS if gc.signs[q] >= 0 else NEG)
        ax.set_xticks(np.arange(-180, 181, 60))
        ax.set_xlabel(f"angle φ from w*{gc.i} towards w*{gc.j} (deg)")
        ax.set_ylabel("η(u(φ))")
        ax.set_title(f"teachers {gc.i} and {gc.j}", fontsize=10)
        if vmax > lim:
            ax.text(0.98, 0.97, f"y clipped: max |η| = {vmax:.3g}", transform=ax.transAxes, fontsize=8,
                    ha="right", va="top", bbox=dict(facecolor="white", edgecolor="0.7", alpha=0.9))
        if k == 0:
            ax.legend(fontsize=8, loc="lower left")
    fig.suptitle(f"{title}\n(±1 dashed; a certificate of optimality stays within them)", fontsize=11)
    return fig


def certificate_sphere(smap, *, even: bool = False, title: str = "Constructed certificate η on S² (d = 3)") -> Figure:
    """η on a latitude–longitude map of the whole sphere (diverging colours, −1 blue … +1 red), the
    level set |η| = 0.9 dashed, grid points with |η| ≥ 1 as black dots, and the teachers as stars (hollow at −w* for an even feature).

    Args:
      smap: a `featlearn.diagnostics.SphereMap` (from `sphere_map`).
    """
    fig = Figure(figsize=(9.0, 4.8), layout="constrained")
    ax = fig.add_subplot()
    v = np.asarray(smap.values)
    lim = max(1.0, float(np.abs(v).max()))
    im = ax.pcolormesh(smap.lon_deg, smap.lat_deg, v, cmap="RdBu_r", vmin=-lim, vmax=lim, shading="auto")
    # |η| = 1 is met only at the teachers by a valid certificate (points, not a line): draw the level
    # |η| = 0.9 and mark every grid point where |η| reaches 1 (beyond rounding)
    ax.contour(smap.lon_deg, smap.lat_deg, np.abs(v), levels=[0.9], colors="k", linewidths=0.8, linestyles="--")
    lon_g, lat_g = np.meshgrid(np.asarray(smap.lon_deg), np.asarray(smap.lat_deg))
    hit = np.abs(v) >= 1.0 - 1e-9
    if lon_g.shape == v.shape and hit.any():
        ax.scatter(lon_g[hit], lat_g[hit], s=4, c="k", zorder=2, label="grid points with |η| ≥ 1")
    for la, lo, s in zip(smap.teacher_lat_deg, smap.teacher_lon_deg, smap.teacher_signs):
        c = POS if s >= 0 else NEG
        ax.scatter(lo, la, marker="*", s=220, c=c, edgecolors="k", zorder=3)
        if even:
            alo = lo - 180.0 if lo > 0 else lo + 180.0
            ax.scatter(alo, -la, marker="*", s=220, facecolors="none", edgecolors="k", zorder=3)
    la, lo = smap.away_argmax_deg
    ax.scatter(lo, la, marker="x", s=80, c="k", zorder=4,
               label=f"max |η| = {smap.away_max:.6f} beyond {smap.exclude_deg:g}° from the teachers")
    ax.legend(loc="lower left", fontsize=8, framealpha=0.9)
    ax.set_xlabel("longitude (deg)")
    ax.set_ylabel("latitude (deg)")
    ax.set_xlim(-180, 180)
    ax.set_ylim(-90, 90)
    fig.colorbar(im, ax=ax, label="η(u)")
    ax.set_title(f"{title}\ndashed: |η| = 0.9; black dots: |η| ≥ 1 (for a valid certificate only at the teachers)", fontsize=10)
    return fig


def hessian_spectrum_plot(spec, *, title: str = "Hessian spectrum of L_λ", critical=None) -> Figure:
    """Sorted eigenvalues of ∇²L_λ (index vs value) on a symlog y axis; a note when skipped.

    Args:
      spec: a `featlearn.diagnostics.HessianSpectrum`.
      critical: the `CriticalPoint` record at the same network, if computed: its tolerance marks the
        zero eigenvalues (against the flat directions the symmetries predict) and its verdict is in the title.
    """
    fig = Figure(figsize=(6.4, 4.2), layout="constrained")
    ax = fig.add_subplot()
    if spec.eigenvalues is None:
        ax.text(0.5, 0.5, spec.note, ha="center", va="center", wrap=True, transform=ax.transAxes)
        ax.set_axis_off()
        ax.set_title(title)
        return fig
    ev = np.sort(np.asarray(spec.eigenvalues))
    scale = max(float(np.abs(ev).max()), 1e-300)
    linthresh = 10.0 ** np.floor(np.log10(max(scale * 1e-8, 1e-14)))
    idx = np.arange(ev.size)
    if critical is None:
        neg = ev < -1e-10 * scale
        ax.scatter(idx[~neg], ev[~neg], s=6, color="0.2", label="≥ 0 (up to 1e-10·max|λ|)")
        ax.scatter(idx[neg], ev[neg], s=10, color=NEG, label="< 0")
        line = f"{int(neg.sum())} negative"
    else:
        tol = critical.tol
        neg, zero = ev < -tol, np.abs(ev) <= tol
        pos = ~neg & ~zero
        ax.scatter(idx[pos], ev[pos], s=6, color="0.2", label=f"> 0 ({int(pos.sum())})")
        ax.scatter(idx[zero], ev[zero], s=10, color="C2", label=f"zero, |λ| ≤ {tol:.0e} ({int(zero.sum())}; symmetries predict {critical.predicted_flat})")
        ax.scatter(idx[neg], ev[neg], s=10, color=NEG, label=f"< 0 ({int(neg.sum())})")
        line = f"{critical.verdict} (‖∇L_λ‖ = {critical.grad_norm:.1e})"
    ax.set_yscale("symlog", linthresh=linthresh, linscale=2.0)
    ax.axhline(0.0, color="k", lw=0.7)
    ax.axhspan(-linthresh, linthresh, color="0.9", zorder=0, label=f"linear band |λ| < {linthresh:.0e}")
    ax.set_xlabel("eigenvalue index (ascending)")
    ax.set_ylabel("eigenvalue (symlog)")
    ax.legend(fontsize=8, loc="upper left")
    ax.set_title(f"{title}\n{spec.n_params} parameters, {line}; min {ev[0]:.2e}, max {ev[-1]:.2e}", fontsize=10)
    return fig


def descent_picture_2d(params, teacher, check, *, even: bool = False, title: str = "Descent direction (d = 2)") -> Figure:
    """The paper's Fig. 1 for d = 2: neurons w_j (area ∝ mass, colour = sign of a_j), teacher rays
    with stars at √|a*_i| w*_i (where one balanced neuron would sit), and per neuron the arrows of
    −∇_{w_j} L_λ (scaled, green) and of w̃_j − w_j (orange, to the target w̃_j of θ̃, marked ×).

    Args:
      params: the network (d = 2).
      teacher: the teacher (d = 2).
      check: `featlearn.diagnostics.DescentCheck` at `params` (target θ̃ and gradient).
    """
    W = np.asarray(params.W, float)
    if W.shape[1] != 2:
        raise ValueError(f"descent_picture_2d: needs d = 2, got d = {W.shape[1]}")
    a = np.asarray(params.a, float)
    Wt = np.asarray(check.target.W, float)
    G = -np.asarray(check.grad.W, float)
    Ws = np.asarray(teacher.W, float)
    As = np.asarray(teacher.a, float)
    mu = np.abs(a) * np.linalg.norm(W, axis=1)
    R = max(1.15 * np.sqrt(np.abs(As)).max(), 1.1 * np.linalg.norm(W, axis=1).max())
    fig = Figure(figsize=(6.4, 6.4), layout="constrained")
    ax = fig.add_subplot()
    t = np.linspace(0, 2 * np.pi, 400)
    ax.plot(np.cos(t), np.sin(t), color="0.8", lw=1, zorder=0)
    for i, (w, s) in enumerate(zip(Ws, As)):
        c = POS if s >= 0 else NEG
        for sgn in ((1, -1) if even else (1,)):
            u = sgn * w / np.linalg.norm(w)
            ax.plot([0, R * u[0]], [0, R * u[1]], color=c, lw=0.8, ls=":" if sgn < 0 else "-", alpha=0.6)
            p = np.sqrt(abs(s)) * u
            ax.scatter(*p, marker="*", s=380, facecolors=c if sgn > 0 else "none", edgecolors=c if sgn < 0 else "k", zorder=4)
        ax.annotate(f"w*{i} (a*={s:+.2g})", np.sqrt(abs(s)) * w, textcoords="offset points", xytext=(6, -14), fontsize=8)
    gmax = np.linalg.norm(G, axis=1).max()
    k = 0.25 * R / gmax if gmax > 0 else 1.0
    ax.quiver(W[:, 0], W[:, 1], k * G[:, 0], k * G[:, 1], angles="xy", scale_units="xy", scale=1, color="#1b7837",
              width=0.005, zorder=3)
    D = Wt - W
    ax.quiver(W[:, 0], W[:, 1], D[:, 0], D[:, 1], angles="xy", scale_units="xy", scale=1, color="#e08214",
              width=0.004, zorder=3, alpha=0.9)
    ax.scatter(Wt[:, 0], Wt[:, 1], marker="x", s=30, color="#e08214", zorder=4)
    sizes = 15.0 + 300.0 * mu / max(mu.max(), 1e-300)
    ax.scatter(W[:, 0], W[:, 1], s=sizes, c=_sign_colors(a), edgecolors="k", linewidths=0.4, zorder=5, alpha=0.8)
    ax.set_aspect("equal")
    ax.set_xlim(-R, R)
    ax.set_ylim(-R, R)
    ax.set_xlabel("w₁")
    ax.set_ylabel("w₂")
    handles = [
        Line2D([], [], marker="o", ls="", color=POS, label="neuron w_j, a_j > 0 (area ∝ mass)"),
        Line2D([], [], marker="o", ls="", color=NEG, label="neuron w_j, a_j < 0"),
        Line2D([], [], marker="*", ls="", color="0.5", markeredgecolor="k", markersize=13, label="teacher at √|a*| w*"),
        Line2D([], [], color="#1b7837", lw=2, label=f"−∇_w L_λ (×{k:.2g})"),
        Line2D([], [], color="#e08214", lw=2, marker="x", label="w̃_j − w_j, to the target w̃_j (×)"),
    ]
    ax.legend(handles=handles, loc="lower left", fontsize=8, framealpha=0.85)
    ratio = float(check.ratio)
    ax.set_title(f"{title}\n⟨∇L_λ, θ − θ̃⟩ = {float(check.inner):.3g},  L_λ(θ) − L_λ(θ̃) = "
                 f"{float(check.loss - check.target_loss):.3g},  ratio {ratio:.3g}", fontsize=10)
    return fig


def descent_fraction_plot(fr, *, title: str = "Descent direction over random near-teacher probes") -> Figure:
    """Left: fraction of probes in the regime L_λ(θ) > L_λ(θ̃) and fraction of those where
    ⟨∇L_λ, θ − θ̃⟩ ≥ L_λ(θ) − L_λ(θ̃), vs the probe angle, per λ. Right: the smallest ratio
    ⟨∇L_λ, θ − θ̃⟩ / (L_λ(θ) − L_λ(θ̃)) over in-regime probes (the inequality needs ≥ 1).

    Args:
      fr: a `featlearn.diagnostics.DescentFraction`.
    """
    fig = Figure(figsize=(10.0, 4.0), layout="constrained")
    ax1, ax2 = fig.add_subplot(1, 2, 1), fig.add_subplot(1, 2, 2)
    colors = ["#1b7837", "#762a83", "#e08214", "#2166ac", "0.3"]
    for il, lam in enumerate(np.asarray(fr.lams)):
        c = colors[il % len(colors)]
        ax1.plot(fr.angles_deg, fr.frac_in_regime[il], "o-", color=c, label=f"in regime, λ={lam:g}")
        ax1.plot(fr.angles_deg, fr.frac_holds[il], "s--", color=c, mfc="none", label=f"inequality holds, λ={lam:g}")
        ax2.plot(fr.angles_deg, fr.min_ratio[il], "o-", color=c, label=f"λ={lam:g}")
    for ax in (ax1, ax2):
        ax.set_xscale("log")
        ax.set_xlabel("max angle of probe neurons to their teacher (deg)")
    ax1.set_ylim(-0.03, 1.05)
    ax1.set_ylabel("fraction of probes")
    ax1.legend(fontsize=8, loc="lower left")
    ax1.set_title(f"{fr.n_probes} probes per point", fontsize=10)
    ax2.axhline(1.0, color="k", ls="--", lw=1, label="ratio 1")
    ax2.set_ylabel("min ⟨∇L_λ, θ−θ̃⟩ / (L_λ(θ) − L_λ(θ̃))")
    ax2.legend(fontsize=8)
    ax2.set_title("smallest ratio in the regime (≥ 1: lemma holds)", fontsize=10)
    fig.suptitle(title)
    return fig
