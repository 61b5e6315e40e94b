r"""Geometry on the unit sphere S^{d−1} used by the diagnostics: directions, angles, great circles.

For an even feature (σ(−z) = σ(z), see `featlearn.diagnostics.features`) a direction is defined only
up to sign, so angles are taken to the nearer of ±w: ∠_±(u, w) = arccos |u·w|.
"""

from __future__ import annotations

from typing import Callable, Mapping, NamedTuple, Sequence

import jax
import jax.numpy as jnp
import numpy as np

from featlearn.gaussian.kernels import unit_rows_np





def plane_basis(wi, wj) -> tuple[np.ndarray, np.ndarray]:
    """Orthonormal (e1, e2) of the plane spanned by wi, wj (Gram–Schmidt, e1 ∥ wi)."""
    e1 = unit_rows_np(wi)
    e2 = np.asarray(wj, float) - (np.asarray(wj, float) @ e1) * e1
    return e1, unit_rows_np(e2)


def tangent_basis(w) -> np.ndarray:
    """An orthonormal basis (d, d−1) of the tangent space w^⊥ of the sphere at w (d,)."""
    w = np.asarray(w, float)
    _, _, Vt = np.linalg.svd(w[None, :] / np.linalg.norm(w))
    return Vt[1:].T


_SALT = 0x6E6A_7A1D  # keeps these streams apart from np.random.default_rng(<small int>) used elsewhere


def numpy_rng(key) -> np.random.Generator:
    """A numpy Generator seeded from a JAX PRNG key (for host-side sampling without JAX compiles)."""
    return np.random.default_rng([*np.asarray(jax.random.key_data(key)).ravel().tolist(), _SALT])


def sample_away(key, n: int, W, exclude_deg: float, even: bool, max_rounds: int = 100) -> np.ndarray:
    """n uniform points on S^{d−1} at angle > exclude_deg from every row of W (±rows when ``even``).

    Rejection sampling (numpy, seeded from `key`); raises ValueError if the caps leave (almost) nothing.
    """
    W = np.asarray(W, float)
    d = W.shape[1]
    rng = numpy_rng(key)
    cos_max = np.cos(np.radians(exclude_deg))
    kept: list[np.ndarray] = []
    count = 0
    for _ in range(max_rounds):
        U = rng.standard_normal((2 * n, d))
        U = unit_rows_np(U)
        C = U @ (W / np.linalg.norm(W, axis=1, keepdims=True)).T
        C = np.abs(C) if even else C
        ok = U[C.max(axis=1) < cos_max]
        kept.append(ok)
        count += ok.shape[0]
        if count >= n:
            return np.concatenate(kept)[:n]
    raise ValueError(f"sample_away: fewer than {n} points found more than {exclude_deg}° from the teachers")


def ring(W, angle_deg_: float, n_per: int, key) -> np.ndarray:
    """n_per points at exactly `angle_deg_` from each row of W, in random tangent directions (m*·n_per, d)."""
    W = np.asarray(W, float)
    rng = numpy_rng(key)
    out = []
    for w in W:
        B = tangent_basis(w)
        g = rng.standard_normal((n_per, B.shape[1]))
        T = (g / np.linalg.norm(g, axis=1, keepdims=True)) @ B.T
        th = np.radians(angle_deg_)
        out.append(np.cos(th) * w[None] + np.sin(th) * T)
    return np.concatenate(out)


class GreatCircle(NamedTuple):
    """Functions of u ∈ S^{d−1} along the great circle through teachers i and j.

    The circle is u(φ) = cos φ·e₁ + sin φ·e₂ with e₁ = w*_i and e₂ the unit part of w*_j orthogonal to
    w*_i, so w*_i is at φ = 0 and w*_j at φ = ∠(w*_i, w*_j).

    Attributes:
      i, j: teacher indices.
      angles_deg: (n,) φ in degrees, in [−180, 180).
      marks: {label: φ in degrees} of the teacher directions on the circle (and of −w* when even).
      signs: {label: sign(a*)} of the marked teachers.
      values: {name: (n,) values} of each function along the circle.
    """

    i: int
    j: int
    angles_deg: np.ndarray
    marks: dict
    signs: dict
    values: dict


def great_circles(
    fns: Mapping[str, Callable],
    teacher,
    even: bool,
    pairs: Sequence[tuple[int, int]] | None = None,
    n: int = 721,
    max_pairs: int = 6,
) -> list[GreatCircle]:
    """Evaluate functions u ↦ f(u) (rows of U (n, d) → (n,)) on great circles through teacher pairs.

    Args:
      fns: {name: f}, each vectorised over rows.
      teacher: the teacher `Params` (unit rows).
      even: mark −w* too.
      pairs: teacher index pairs (default: all i < j, at most `max_pairs`).
      n: points per circle.
    Returns:
      one `GreatCircle` per pair.
    """
    W = np.asarray(teacher.W, float)
    s = np.sign(np.asarray(teacher.a, float))
    m_star = W.shape[0]
    if pairs is None:
        pairs = [(i, j) for i in range(m_star) for j in range(i + 1, m_star)][:max_pairs]
    phi = np.linspace(-np.pi, np.pi, n, endpoint=False)
    out = []
    for i, j in pairs:
        e1, e2 = plane_basis(W[i], W[j])
        U = np.cos(phi)[:, None] * e1 + np.sin(phi)[:, None] * e2
        phij = float(np.degrees(np.arctan2(W[j] @ e2, W[j] @ e1)))
        marks = {f"w*{i}": 0.0, f"w*{j}": phij}
        signs = {f"w*{i}": s[i], f"w*{j}": s[j]}
        if even:
            marks[f"−w*{i}"] = -180.0
            marks[f"−w*{j}"] = phij - 180.0 if phij > 0 else phij + 180.0
            signs[f"−w*{i}"], signs[f"−w*{j}"] = s[i], s[j]
        values = {name: np.asarray(f(U)) for name, f in fns.items()}
        out.append(GreatCircle(i, j, np.degrees(phi), marks, signs, values))
    return out


class SphereMap(NamedTuple):
    """A function of u ∈ S² on a latitude–longitude grid (d = 3), for the whole-sphere picture.

    Attributes:
      lat_deg: (n_lat,) latitudes in degrees (−90..90), measured from the plane ⊥ e₃.
      lon_deg: (n_lon,) longitudes in degrees (−180..180).
      values: (n_lat, n_lon) f(u(lat, lon)), u = (cos lat cos lon, cos lat sin lon, sin lat).
      teacher_lat_deg, teacher_lon_deg: (m*,) positions of the teacher directions.
      teacher_signs: (m*,) sign(a*_i).
      away_max: max |f| over grid points more than `exclude_deg` from every teacher (± when even).
      away_argmax_deg: (lat, lon) of that point.
      exclude_deg: the exclusion radius used.
    """

    lat_deg: np.ndarray
    lon_deg: np.ndarray
    values: np.ndarray
    teacher_lat_deg: np.ndarray
    teacher_lon_deg: np.ndarray
    teacher_signs: np.ndarray
    away_max: float
    away_argmax_deg: tuple
    exclude_deg: float


def sphere_map(fn: Callable, teacher, n_lat: int = 181, n_lon: int = 361, *, even: bool = True,
               exclude_deg: float = 5.0) -> SphereMap:
    """Evaluate u ↦ fn(U) (rows → values) on a lat–lon grid of S² (needs d = 3)."""
    W = np.asarray(teacher.W, float)
    if W.shape[1] != 3:
        raise ValueError(f"sphere_map: needs d = 3, got d = {W.shape[1]}")
    lat = np.linspace(-90.0, 90.0, n_lat)
    lon = np.linspace(-180.0, 180.0, n_lon)
    La, Lo = np.meshgrid(np.radians(lat), np.radians(lon), indexing="ij")
    U = np.stack([np.cos(La) * np.cos(Lo), np.cos(La) * np.sin(Lo), np.sin(La)], axis=-1).reshape(-1, 3)
    vals = np.asarray(fn(U)).reshape(n_lat, n_lon)
    Wn = W / np.linalg.norm(W, axis=1, keepdims=True)
    t_lat = np.degrees(np.arcsin(np.clip(Wn[:, 2], -1, 1)))
    t_lon = np.degrees(np.arctan2(Wn[:, 1], Wn[:, 0]))
    C = U @ Wn.T
    C = np.abs(C) if even else C
    away = (C.max(axis=1) < np.cos(np.radians(exclude_deg))).reshape(n_lat, n_lon)
    masked = np.where(away, np.abs(vals), -np.inf)
    k = np.unravel_index(np.argmax(masked), masked.shape)
    return SphereMap(lat, lon, vals, t_lat, t_lon, np.sign(np.asarray(teacher.a, float)), float(masked[k]),
                     (float(lat[k[0]]), float(lon[k[1]])), float(exclude_deg))
