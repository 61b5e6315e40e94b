r"""The descent direction of the local analysis (DESIGN §1.6; the paper's Fig. 1).

Assign neurons as in `alignment` (j ∈ T_i if ∠(ŵ_j, w*_i) ≤ δ, ±w*_i for an even feature; otherwise
j is far). The target θ̃ moves every far neuron to (0, 0) and gives a near neuron j ∈ T_i the fraction
q_ij = μ_j / Σ_{k∈T_i} μ_k of its teacher, balanced:

    w̃_j = s_j √(q_ij |a*_i|) w*_i,    ã_j = sign(a*_i) √(q_ij |a*_i|),

with s_j = sign(ŵ_j·w*_i) for an even feature (the target stays on the neuron's side of ±w*_i) and
s_j = 1 otherwise. A linear head, if any, is set to the optimal head of θ̃. The lemma of Zhou & Ge says
that in the local regime

    ⟨∇L_λ(θ), θ − θ̃⟩ ≥ L_λ(θ) − L_λ(θ̃) > 0,

i.e. −∇L_λ points towards θ̃ at least as much as convexity would give. The regime is L_λ(θ) > L_λ(θ̃)
(θ worse than θ̃; θ̃ carries the full teacher mass, so when λ is large against the loss of θ it is
not better and the inequality need not hold); `DescentCheck.ratio` = ⟨∇L_λ, θ − θ̃⟩ / (L_λ(θ) − L_λ(θ̃)).

`local_probes` draws random near-teacher networks and `descent_fraction` reports, per (λ, angle), the
fraction of probes in the regime, the fraction with a positive inner product, and the smallest ratio.
"""

from __future__ import annotations

from functools import partial
from typing import NamedTuple, Sequence

import jax
import jax.numpy as jnp
import numpy as np

from featlearn.diagnostics.alignment import alignment
from featlearn.diagnostics.features import feature_kernel
from featlearn.diagnostics.sphere import numpy_rng
from featlearn.gaussian.kernels import tilt, unit_rows, unit_rows_np
from featlearn.model import Params
from featlearn.objective import optimal_head, regularised_population_loss


class DescentCheck(NamedTuple):
    """Result of `descent_direction` (a pytree; batched when vmapped).

    Attributes:
      target: θ̃ (`Params`, same shapes as θ).
      grad: ∇L_λ(θ) (`Params`).
      inner: ⟨∇L_λ(θ), θ − θ̃⟩ (over a, W and the head if any).
      loss: L_λ(θ).
      target_loss: L_λ(θ̃).
      ratio: inner / (loss − target_loss).
      in_regime: bool, loss > target_loss.
      holds: bool, inner ≥ loss − target_loss > 0 (the lemma's inequality, in the regime).
    """

    target: Params
    grad: Params
    inner: jax.Array
    loss: jax.Array
    target_loss: jax.Array
    ratio: jax.Array
    in_regime: jax.Array
    holds: jax.Array


def descent_target(params: Params, teacher: Params, activation, *, delta_deg: float = 5.0) -> Params:
    """θ̃ of the module docstring (same shapes as `params`)."""
    return _descent_target(params, teacher, delta_deg, activation=feature_kernel(activation).activation.name)


@partial(jax.jit, static_argnames=("activation",))
def _descent_target(params: Params, teacher: Params, delta_deg, *, activation) -> Params:
    al = alignment(params, teacher, activation, delta_deg=delta_deg)
    even = feature_kernel(activation, params.has_head).even
    W_star = unit_rows(teacher.W.astype(params.W.dtype))
    a_star = teacher.a.astype(params.a.dtype)
    onehot = jnp.where(al.near[:, None], jax.nn.one_hot(al.nearest, W_star.shape[0], dtype=params.W.dtype), 0.0)
    total = al.mass @ onehot  # Σ_{k∈T_i} μ_k (m*,)
    tot_j = onehot @ total
    size_j = onehot @ jnp.sum(onehot, axis=0)
    q = jnp.where(tot_j > 0, al.mass / jnp.where(tot_j > 0, tot_j, 1.0), 1.0 / jnp.maximum(size_j, 1.0))
    w_i = W_star[al.nearest]
    s = jnp.where(jnp.sum(unit_rows(params.W) * w_i, axis=1) < 0, -1.0, 1.0) if even else 1.0
    scale = jnp.sqrt(q * jnp.abs(a_star[al.nearest]))
    a_t = jnp.where(al.near, jnp.sign(a_star[al.nearest]) * scale, 0.0)
    W_t = jnp.where(al.near[:, None], (s * scale)[:, None] * w_i, 0.0)
    target = params._replace(a=a_t, W=W_t)
    if params.has_head:
        target = optimal_head(target, teacher, activation)
    return target


def descent_direction(
    params: Params, teacher: Params, activation, lam, *, delta_deg: float = 5.0
) -> DescentCheck:
    r"""Check ⟨∇L_λ(θ), θ − θ̃⟩ ≥ L_λ(θ) − L_λ(θ̃) > 0 at θ = `params` (module docstring).

    Args:
      params: the network θ (any parameters; with or without a linear head).
      teacher: the teacher θ*.
      activation: activation name.
      lam: weight decay λ.
      delta_deg: assignment radius δ (degrees).

    Returns:
      a `DescentCheck` (jit-able and vmap-able over a leading axis of `params`).

    Example:
      >>> import jax, featlearn
      >>> from featlearn.diagnostics import descent_direction
      >>> t = featlearn.make_teacher(4, 2, jax.random.PRNGKey(0), a_star=[1., -1.])
      >>> net = featlearn.Params(0.8 * t.a, t.W + 0.03)
      >>> bool(descent_direction(net, t, "relu_trim", 1e-3).holds)
      True
    """
    name = feature_kernel(activation).activation.name
    return _descent_direction(params, teacher, lam, delta_deg, activation=name)


@partial(jax.jit, static_argnames=("activation",))
def _descent_direction(params, teacher, lam, delta_deg, *, activation) -> DescentCheck:
    target = _descent_target(params, teacher, delta_deg, activation=activation)
    loss, grad = jax.value_and_grad(regularised_population_loss)(params, teacher, activation, lam)
    target_loss = regularised_population_loss(target, teacher, activation, lam)
    diff = jax.tree.map(lambda x, y: x - y, params, target)
    inner = sum(jnp.sum(g * d) for g, d in zip(jax.tree.leaves(grad), jax.tree.leaves(diff)))
    gap = loss - target_loss
    in_regime = gap > 0
    ratio = inner / jnp.where(gap != 0, gap, jnp.nan)
    return DescentCheck(target, grad, inner, loss, target_loss, ratio, in_regime, in_regime & (inner >= gap))


def local_probes(
    teacher: Params,
    key,
    n_probes: int,
    *,
    even: bool,
    neurons_per_teacher: int = 3,
    max_angle_deg: float = 5.0,
    n_far: int = 2,
    far_mass: float = 1e-2,
    mass_jitter: float = 0.3,
    imbalance: float = 0.0,
) -> Params:
    r"""Random near-teacher networks, batched: a (n_probes, m), W (n_probes, m, d), m = m*·k + n_far
    (drawn on the host with numpy, seeded from `key`).

    Neuron j of teacher i: direction cos φ w*_i + sin φ t (t a uniform unit tangent, φ ~ U(0, max_angle]),
    flipped to −(…) with probability ½ when ``even``; masses μ = |a*_i| q_j (1 + ε), q uniform on the
    simplex of the k neurons, ε ~ U(−mass_jitter, mass_jitter) per teacher; a_j = sign(a*_i) √μ e^ζ,
    w_j = √μ e^{−ζ} ŵ_j with ζ ~ U(−imbalance, imbalance) (default 0: balanced, as after `balance`;
    the lemma's inequality degrades with imbalance, see the tests). Far neurons: uniform direction,
    mass ~ U(0, far_mass), random sign, balanced.
    """
    W_star = np.asarray(teacher.W, np.float64)
    W_star = unit_rows_np(W_star)
    a_star = np.asarray(teacher.a, np.float64)
    m_star, d = W_star.shape
    k, P = int(neurons_per_teacher), int(n_probes)
    rng = numpy_rng(key)
    idx = np.repeat(np.arange(m_star), k)
    w = np.broadcast_to(W_star[idx], (P, idx.size, d))
    g = rng.standard_normal((P, idx.size, d))
    phi = np.radians(max_angle_deg) * (1.0 - rng.uniform(size=(P, idx.size)))
    u = np.asarray(tilt(jnp.asarray(w), jnp.asarray(g), jnp.asarray(phi)))
    if even:
        u = u * np.where(rng.uniform(size=(P, idx.size)) < 0.5, -1.0, 1.0)[..., None]
    e = rng.exponential(size=(P, m_star, k))
    q = (e / e.sum(axis=-1, keepdims=True)).reshape(P, -1)
    eps = mass_jitter * rng.uniform(-1.0, 1.0, size=(P, m_star))
    mu = np.abs(a_star[idx]) * q * (1.0 + eps[:, idx])
    zeta = imbalance * rng.uniform(-1.0, 1.0, size=(P, idx.size))
    a = np.sign(a_star[idx]) * np.sqrt(mu) * np.exp(zeta)
    W = (np.sqrt(mu) * np.exp(-zeta))[..., None] * u
    uf = rng.standard_normal((P, n_far, d))
    uf = unit_rows_np(uf)
    muf = far_mass * rng.uniform(size=(P, n_far))
    sf = np.where(rng.uniform(size=(P, n_far)) < 0.5, -1.0, 1.0)
    a = np.concatenate([a, sf * np.sqrt(muf)], axis=1)
    W = np.concatenate([W, np.sqrt(muf)[..., None] * uf], axis=1)
    return Params(jnp.asarray(a), jnp.asarray(W))


@partial(jax.jit, static_argnames=("activation",))
def _batched_check(probes: Params, teacher: Params, lam, delta_deg, *, activation):
    return jax.vmap(lambda p: _descent_direction(p, teacher, lam, delta_deg, activation=activation))(probes)


def check_probes(probes: Params, teacher: Params, activation, lam, *, delta_deg: float) -> DescentCheck:
    """`descent_direction` on a batch of networks (leading axis), one compiled, vmapped computation."""
    name = feature_kernel(activation).activation.name
    return _batched_check(probes, teacher, jnp.asarray(lam, probes.W.dtype), jnp.asarray(delta_deg, probes.W.dtype), activation=name)


class DescentFraction(NamedTuple):
    """Descent-direction statistics over probes, one row per λ and one column per angle.

    Attributes:
      lams: (L,) weight decays.
      angles_deg: (A,) probe angles (neurons within this angle of their teacher).
      frac_in_regime: (L, A) fraction of probes with L_λ(θ) > L_λ(θ̃).
      frac_inner_positive: (L, A) fraction of in-regime probes with ⟨∇L_λ, θ − θ̃⟩ > 0 (NaN if none).
      frac_inner_positive_all: (L, A) the same over all probes (out of the regime it may fail).
      frac_holds: (L, A) fraction of in-regime probes with ⟨∇L_λ, θ − θ̃⟩ ≥ L_λ(θ) − L_λ(θ̃) (NaN if none).
      min_ratio: (L, A) smallest ratio over in-regime probes (NaN if none).
      n_probes: probes per cell.
    """

    lams: np.ndarray
    angles_deg: np.ndarray
    frac_in_regime: np.ndarray
    frac_inner_positive: np.ndarray
    frac_inner_positive_all: np.ndarray
    frac_holds: np.ndarray
    min_ratio: np.ndarray
    n_probes: int


def descent_fraction(
    teacher: Params,
    activation,
    key,
    *,
    lams: Sequence[float] = (1e-2, 3e-3),
    angles_deg: Sequence[float] = (1.0, 2.0, 5.0, 10.0, 20.0),
    n_probes: int = 200,
    **probe_kwargs,
) -> DescentFraction:
    """Fraction of random near-teacher probes in the regime / satisfying the inequality, per λ and angle.

    Each angle column uses probes whose near neurons are within that angle (δ = that angle); extra
    keyword arguments go to `local_probes`. Returns a `DescentFraction`.
    """
    even = feature_kernel(activation).even
    lams_a, angs = np.asarray(lams, float), np.asarray(angles_deg, float)
    shape = (lams_a.size, angs.size)
    reg, pos, pos_all, holds, minr = (np.full(shape, np.nan) for _ in range(5))
    for ja, (ang, k) in enumerate(zip(angs, jax.random.split(key, angs.size))):
        probes = local_probes(teacher, k, n_probes, even=even, max_angle_deg=float(ang), **probe_kwargs)
        for il, lam in enumerate(lams_a):
            c = check_probes(probes, teacher, activation, lam, delta_deg=float(ang))
            r = np.asarray(c.in_regime)
            positive = np.asarray(c.inner) > 0
            reg[il, ja] = r.mean()
            pos_all[il, ja] = positive.mean()
            if r.any():
                pos[il, ja] = positive[r].mean()
                holds[il, ja] = np.asarray(c.holds)[r].mean()
                minr[il, ja] = np.asarray(c.ratio)[r].min()
    return DescentFraction(lams_a, angs, reg, pos, pos_all, holds, minr, int(n_probes))
