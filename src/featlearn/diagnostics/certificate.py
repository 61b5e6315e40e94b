r"""The empirical certificate η_λ of a network and its supremum on the sphere (DESIGN §1.5).

For a network θ = (a, W) (optionally with a linear head c + v·x) and the teacher θ*,

    η_λ(u) = −(1/λ) E_x[(f_θ(x) − f*(x)) σ(u·x)]
           = −(1/λ) [Σ_j a_j k(u, w_j) − Σ_i a*_i k(u, w*_i)],           ‖u‖ = 1,

which is −1/λ times the first variation of L at a unit point mass in direction u. For a homogeneous σ
at balance, L_λ is the total-variation problem min_μ L(μ) + λ‖μ‖_TV (DESIGN §1.4), and θ is a global
minimiser iff η_λ(ŵ_j) = sign(a_j) on the support and sup_{‖u‖=1} |η_λ(u)| ≤ 1. So

    certificate_sup = sup_u |η_λ(u)|        (≤ 1 at a global minimum; > 1 certifies non-optimality)

is a computable global-optimality check. With a linear head, the head absorbs the Hermite orders 0 and 1
(DESIGN §1.3): the neuron feature is σ minus those orders, with the trimmed kernel k_trim, and

    η_λ(u) = −(1/λ)[(c + Σ_j a_j μ(w_j) − Σ_i a*_i μ(w*_i)) μ(u)
                    + (v + Σ_j a_j ℓ(w_j) − Σ_i a*_i ℓ(w*_i))·ℓ(u)
                    + Σ_j a_j k_trim(u, w_j) − Σ_i a*_i k_trim(u, w*_i)]

(μ(w) = E σ(w·x), ℓ(w) = E σ(w·x) x): the first two terms vanish at the optimal head, leaving the
trimmed kernel.

The supremum is found by multi-start Riemannian ascent of |η_λ| on S^{d−1}: starts at the students'
directions ŵ_j, at ±w*_i and at `n_random` uniform points; each step moves along the great circle in the
direction of the projected gradient P_u ∇|η_λ| by an angle s, accepted if |η_λ| increases (then s grows
×1.5), else rejected (s halves). Everything is one jit-compiled, vmapped `lax.fori_loop`.
"""

from __future__ import annotations

from functools import partial
from typing import NamedTuple

import jax
import jax.numpy as jnp

from featlearn.diagnostics.features import feature_kernel
from featlearn.diagnostics.sphere import random_unit, unit_rows
from featlearn.model import Params


class CertificateSup(NamedTuple):
    """Result of `certificate_sup` (unpacks as ``sup, argmax = ...``).

    Attributes:
      sup: scalar, max over the ascent end points of |η_λ(u)|.
      argmax: (d,) the unit vector attaining it.
    """

    sup: jax.Array
    argmax: jax.Array


def _eta_fn(params: Params, teacher: Params, activation, lam):
    fk = feature_kernel(activation, params.has_head)
    act = fk.activation
    a_star = teacher.a.astype(params.a.dtype)
    W_star = teacher.W.astype(params.W.dtype)
    if params.has_head:
        mean_res = params.c + params.a @ act.mean(params.W) - a_star @ act.mean(W_star)
        lin_res = params.v + params.a @ act.linear(params.W) - a_star @ act.linear(W_star)

    def eta(U):
        U = unit_rows(U)
        corr = fk.kernel(U, params.W) @ params.a - fk.kernel(U, W_star) @ a_star
        if params.has_head:
            corr = corr + mean_res * act.mean(U) + act.linear(U) @ lin_res
        return -corr / lam

    return eta


def empirical_certificate(params: Params, teacher: Params, activation, lam):
    r"""η_λ as a function of the rows of U (n, d) → (n,) (module docstring; rows are normalised).

    Args:
      params: the network (with or without a linear head).
      teacher: the teacher `Params`.
      activation: activation name.
      lam: weight decay λ > 0.

    Returns:
      a JAX-traceable callable U ↦ η_λ(U).
    """
    return _eta_fn(params, teacher, activation, lam)


@partial(jax.jit, static_argnames=("activation", "steps"))
def _ascent(params, teacher, lam, U0, *, activation, steps):
    eta = _eta_fn(params, teacher, activation, lam)
    value = lambda u: eta(u[None, :])[0]  # noqa: E731
    value_and_grad = jax.vmap(jax.value_and_grad(value))

    def body(_, state):
        U, step = state
        v, g = value_and_grad(U)
        G = jnp.sign(v)[:, None] * (g - jnp.sum(g * U, axis=1, keepdims=True) * U)
        gn = jnp.linalg.norm(G, axis=1, keepdims=True)
        D = jnp.where(gn > 0, G / jnp.where(gn > 0, gn, 1.0), 0.0)
        s = step[:, None]
        U_new = jnp.cos(s) * U + jnp.sin(s) * D
        U_new = unit_rows(U_new)
        accept = jnp.abs(eta(U_new)) > jnp.abs(v)
        U = jnp.where(accept[:, None], U_new, U)
        step = jnp.where(accept, jnp.minimum(step * 1.5, 0.5), step * 0.5)
        return U, step

    U0 = unit_rows(U0)
    step0 = jnp.full(U0.shape[:1], 0.05, U0.dtype)
    U, _ = jax.lax.fori_loop(0, steps, body, (U0, step0))
    vals = jnp.abs(eta(U))
    best = jnp.argmax(vals)
    return vals[best], U[best]


def ascent_starts(params: Params, teacher: Params, key, n_random: int):
    """Starting points (m + 2m* + n_random, d): student directions (zero rows replaced by random
    points), ±teacher directions, and uniform random points."""
    d = params.W.shape[-1]
    dtype = params.W.dtype
    k1, k2 = jax.random.split(key)
    Ws = unit_rows(params.W)
    zero = jnp.sum(Ws * Ws, axis=1) == 0
    Ws = jnp.where(zero[:, None], random_unit(k1, Ws.shape[0], d, dtype), Ws)
    Wt = unit_rows(teacher.W.astype(dtype))
    return jnp.concatenate([Ws, Wt, -Wt, random_unit(k2, n_random, d, dtype)], axis=0)


def certificate_sup(
    params: Params,
    teacher: Params,
    activation,
    lam,
    key,
    *,
    n_random: int = 256,
    steps: int = 200,
) -> CertificateSup:
    r"""sup_{‖u‖=1} |η_λ(u)| by multi-start projected ascent (module docstring).

    Args:
      params: the network θ (m neurons; with or without a linear head).
      teacher: the teacher θ*.
      activation: "relu_trim", "abs", "relu" (with or without head), "erf" (reported; the TV reading
        of the certificate needs a homogeneous σ).
      lam: the weight decay λ > 0 the network was trained with (the last stage's λ).
      key: PRNG key for the random starts.
      n_random: number of uniform random starts (besides the m students and the 2m* ±teachers).
      steps: ascent steps per start.

    Returns:
      `CertificateSup(sup, argmax)`: the largest |η_λ| found and the unit vector (d,) attaining it.
      At a global minimiser of the TV problem sup ≤ 1 (= 1 on the support); sup > 1 proves θ is not one.

    Example:
      >>> import jax, featlearn
      >>> from featlearn.diagnostics import certificate_sup
      >>> t = featlearn.make_teacher(4, 2, jax.random.PRNGKey(0), a_star=[1., -1.])
      >>> g1 = 0.25 - 1 / (2 * 3.141592653589793)          # k(w, w) for relu_trim
      >>> lam = 0.01; r = jax.numpy.sqrt(1 - lam / g1)      # exact minimiser: mass 1 − λ/g(1)
      >>> net = featlearn.Params(t.a * r, t.W * r)
      >>> round(float(certificate_sup(net, t, "relu_trim", lam, jax.random.PRNGKey(1)).sup), 6)
      1.0
    """
    starts = ascent_starts(params, teacher, key, n_random)
    name = feature_kernel(activation, params.has_head).activation.name
    sup, arg = _ascent(params, teacher, jnp.asarray(lam, params.W.dtype), starts, activation=name, steps=steps)
    return CertificateSup(sup, arg)
