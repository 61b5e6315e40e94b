"""The neurons moving: a run's trajectory (trajectory.npz) as an animated GIF (or MP4 with ffmpeg).

Each frame is one snapshot: the student directions projected on planes spanned by teacher pairs
(as `teacher_plane`: area ∝ mass on one scale for the whole film, so a neuron that loses its mass
visibly shrinks to a dot; colour = sign of a_j; stars are the teachers), beside the loss curve with
the snapshot's step marked; the title names the step, the stage and λ.
"""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from featlearn.diagnostics.features import feature_kernel
from featlearn.diagnostics.sphere import plane_basis
from featlearn.gaussian.kernels import unit_rows_np
from featlearn.io import atomic_write_bytes
from featlearn.report.diagnostic_plots import NEG, POS, draw_teachers

MAX_PLANES = 2


def _planes(Ws: np.ndarray, W_end: np.ndarray) -> list[tuple[str, np.ndarray, np.ndarray, list[int]]]:
    """(label, e1, e2, teachers in the plane): teacher pairs (0, 1), (2, 3), … up to MAX_PLANES; for one
    teacher, the plane of w*₀ and the main direction of the final neurons orthogonal to it."""
    m_star, d = Ws.shape
    if m_star >= 2:
        pairs = [(i, i + 1) for i in range(0, m_star - 1, 2)]
        if m_star % 2:  # the last teacher with the first
            pairs.append((m_star - 1, 0))
        pairs = pairs[:MAX_PLANES]
        return [(f"plane of teachers {i} and {j}", *plane_basis(Ws[i], Ws[j]), [i, j]) for i, j in pairs]
    e1 = Ws[0] / np.linalg.norm(Ws[0])
    rest = W_end - np.outer(W_end @ e1, e1)
    if d == 1:
        raise ValueError("animate: a plane needs d ≥ 2")
    if np.linalg.norm(rest) > 0:
        e2 = np.linalg.svd(rest, full_matrices=False)[2][0]
    else:
        e2 = np.eye(d)[int(np.argmin(np.abs(e1)))]
    e2 = e2 - (e2 @ e1) * e1
    return [("plane of w*0 and the neurons' main other direction", e1, e2 / np.linalg.norm(e2), [0])]


def animation_frames(trajectory, teacher, metrics, activation: str, head: bool = False, *, title: str = "",
                     dpi: int = 72, max_frames: int = 400, blit: bool = True):
    """Yield one RGB frame (H, W, 3 uint8 array) per snapshot (at most `max_frames`, evenly chosen).

    The figure is laid out and drawn once; with `blit` each frame then redraws only what moves (the
    neurons, the step marker, the title) on the saved background, about 5× faster than a full draw
    and the same picture (`blit=False` draws every frame in full)."""
    Ws = unit_rows_np(np.asarray(teacher.W, float))
    As = np.asarray(teacher.a, float)
    fk = feature_kernel(activation, head)
    mirrored = bool(fk.even or fk.odd)  # ±w carry the same feature (odd: with the sign of a flipped)
    S = len(trajectory)
    idx = np.unique(np.linspace(0, S - 1, min(S, max_frames)).round().astype(int))
    W_all, a_all = np.asarray(trajectory.W, float), np.asarray(trajectory.a, float)
    mass = np.abs(a_all) * np.linalg.norm(W_all, axis=2)
    mu_ref = max(float(mass.max()), 1e-300)
    planes = _planes(Ws, W_all[-1])

    fig = Figure(figsize=(4.2 * len(planes) + 4.6, 4.4), dpi=dpi, layout="constrained")
    FigureCanvasAgg(fig)
    axes = [fig.add_subplot(1, len(planes) + 1, k + 1) for k in range(len(planes) + 1)]
    circle = np.linspace(0, 2 * np.pi, 300)
    scatters = []
    for ax, (label, e1, e2, teachers) in zip(axes, planes):
        ax.plot(np.cos(circle), np.sin(circle), color="0.8", lw=1, zorder=0)
        draw_teachers(ax, Ws, As, teachers, e1, e2, mirrored=mirrored, size=150, zorder=2)
        scatters.append(ax.scatter(np.zeros(W_all.shape[1]), np.zeros(W_all.shape[1]), s=1, alpha=0.6,
                                   edgecolors="k", linewidths=0.3, zorder=3))
        ax.set_aspect("equal")
        ax.set_xlim(-1.15, 1.15)
        ax.set_ylim(-1.15, 1.15)
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_title(label, fontsize=9)
    lax = axes[-1]
    steps = np.maximum(metrics["step"].to_numpy(), 1)
    lax.loglog(steps, metrics["population_loss"].clip(lower=1e-300), color="C0", lw=1.5, label="population loss")
    lam = metrics["lam"].where(metrics["lam"] > 0)
    lax.loglog(steps, lam, color="C3", lw=1.0, drawstyle="steps-post", label="λ")
    marker = lax.axvline(1, color="k", lw=0.8)
    lax.set_xlabel("step")
    lax.set_title("loss and weight decay", fontsize=9)
    lax.grid(True, alpha=0.3)
    handles = [Line2D([], [], marker="o", ls="", color=POS, alpha=0.6, label="a > 0"),
               Line2D([], [], marker="o", ls="", color=NEG, alpha=0.6, label="a < 0")]
    lax.legend(handles=lax.get_legend_handles_labels()[0] + handles, fontsize=7, loc="lower left")
    suptitle = fig.suptitle("placeholder step 0 · stage · λ = 0.00e+00")
    dynamic = [*scatters, marker, suptitle]
    for art in dynamic:  # drawn per frame on a saved background (blitting), not in the full draw
        art.set_animated(blit)
    fig.canvas.draw()  # lays the figure out once
    fig.set_layout_engine("none")
    background = fig.canvas.copy_from_bbox(fig.bbox)
    for s in idx:
        U = unit_rows_np(W_all[s])
        sizes = 3.0 + 320.0 * mass[s] / mu_ref
        colors = np.where(a_all[s] >= 0, POS, NEG)
        for sc, (_, e1, e2, _) in zip(scatters, planes):
            sc.set_offsets(np.stack([U @ e1, U @ e2], axis=1))
            sc.set_sizes(sizes)
            sc.set_facecolors(colors)
        marker.set_xdata([max(int(trajectory.step[s]), 1)] * 2)
        stage = str(trajectory.stage[s]).split(":", 1)[-1]
        suptitle.set_text(f"{title + ': ' if title else ''}step {int(trajectory.step[s])} · {stage} · λ = {float(trajectory.lam[s]):.2e}")
        if blit:
            fig.canvas.restore_region(background)
            for art in dynamic:
                fig.draw_artist(art)
        else:
            fig.canvas.draw()
        yield np.asarray(fig.canvas.buffer_rgba())[..., :3].copy()


def write_animation(path, trajectory, teacher, metrics, activation: str, head: bool = False, *, title: str = "",
                    fps: float = 8.0, dpi: int = 72) -> int:
    """Write the film to `path` (.gif; .mp4 when ffmpeg is installed); returns the number of frames."""
    from PIL import Image

    path = Path(path)
    frames = [Image.fromarray(f) for f in animation_frames(trajectory, teacher, metrics, activation, head, title=title, dpi=dpi)]
    if not frames:
        raise ValueError("animate: the trajectory has no snapshots")
    if path.suffix.lower() == ".mp4":
        if shutil.which("ffmpeg") is None:
            raise ValueError("animate: writing .mp4 needs ffmpeg on PATH; write a .gif instead")
        import subprocess
        import tempfile

        with tempfile.TemporaryDirectory() as tmp:
            for i, f in enumerate(frames):
                f.save(Path(tmp) / f"f{i:05d}.png")
            subprocess.run(["ffmpeg", "-loglevel", "error", "-y", "-framerate", str(fps), "-i", str(Path(tmp) / "f%05d.png"),
                            "-pix_fmt", "yuv420p", "-vf", "pad=ceil(iw/2)*2:ceil(ih/2)*2", str(path)], check=True)
        return len(frames)
    buf = io.BytesIO()
    pal = [f.convert("P", palette=Image.ADAPTIVE, colors=128) for f in frames]
    pal[0].save(buf, format="GIF", save_all=True, append_images=pal[1:], duration=int(1000 / fps), loop=0, optimize=True)
    atomic_write_bytes(path, buf.getvalue())
    return len(frames)


__all__ = ["animation_frames", "write_animation"]
