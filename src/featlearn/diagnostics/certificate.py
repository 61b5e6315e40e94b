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
import numpy as np

from featlearn.diagnostics.features import feature_kernel
from featlearn.diagnostics.sphere import numpy_rng
from featlearn.gaussian.kernels import unit_rows, unit_rows_np
from featlearn.model import Params
from featlearn.objective.population import head_residuals


class CertificateSup(NamedTuple):
    """Result of `certificate_sup` (unpacks as ``sup, argmax = ...``).

    Attributes:
      sup: scalar, max over the ascent end points of |η_λ(u)|.
      argmax: (d,) the unit vector attaining it.
    """

    sup: jax.Array
    argmax: jax.Array


def _eta_fns(params: Params, teacher: Params, activation, lam):
    """(η_λ, value-and-Euclidean-gradient of η_λ) on rows of U (n, d); rows are normalised first.

    For homogeneous σ, on unit u: k(u, w) = ‖w‖ g(u·ŵ), so ∇_u k = ‖w‖ g'(u·ŵ) ŵ in closed form (no
    autodiff: short compiles); `erf` falls back to autodiff."""
    fk = feature_kernel(activation, params.has_head)
    act = fk.activation
    a_star = teacher.a.astype(params.a.dtype)
    W_star = teacher.W.astype(params.W.dtype)
    b = jnp.concatenate([params.a, -a_star])
    Z = jnp.concatenate([params.W, W_star])
    if params.has_head:
        mean_res, lin_res = head_residuals(params, teacher, act)

    def head(U):
        if not params.has_head:
            return jnp.zeros(U.shape[:1], U.dtype)
        return mean_res * act.mean(U) + act.linear(U) @ lin_res

    def eta(U):
        U = unit_rows(U)
        return -(fk.kernel(U, Z) @ b + head(U)) / lam

    if fk.coef is None:
        single = jax.value_and_grad(lambda u: eta(u[None, :])[0])
        return eta, jax.vmap(single)

    r = jnp.linalg.norm(Z, axis=1)
    Zh = unit_rows(Z)
    br = b * r

    def value_and_grad(U):
        U = unit_rows(U)
        C = jnp.clip(U @ Zh.T, -1.0, 1.0)
        hv, hvjp = jax.vjp(head, U)
        val = -(fk.coef.g(C) @ br + hv) / lam
        grad = -((fk.coef.dg(C) * br[None, :]) @ Zh + hvjp(jnp.ones_like(hv))[0]) / lam
        return val, grad

    return eta, value_and_grad


def empirical_certificate(params: Params, teacher: Params, activation, lam):
    r"""η_λ as a function of the rows of U (n, d) → (n,) (module docstring; rows are normalised).

    Args:
      params: the network (with or without a linear head).
      teacher: the teacher `Params`.
      activation: activation name.
      lam: weight decay λ > 0.

    Returns:
      a callable U ↦ η_λ(U) (jit-compiled once per shape and activation; traceable).
    """
    name = feature_kernel(activation, params.has_head).activation.name
    return partial(_eta_values, params, teacher, jnp.asarray(lam, params.W.dtype), activation=name)


@partial(jax.jit, static_argnames=("activation",))
def _eta_values(params, teacher, lam, U, *, activation):
    return _eta_fns(params, teacher, activation, lam)[0](jnp.asarray(U, params.W.dtype))


@partial(jax.jit, static_argnames=("activation", "steps"))
def _ascent(params, teacher, lam, R, *, activation, steps):
    U0 = ascent_starts(params, teacher, R)
    eta, value_and_grad = _eta_fns(params, teacher, activation, lam)

    def body(_, state):
        U, v, g, step = state
        G = jnp.sign(v)[:, None] * (g - jnp.sum(g * U, axis=1, keepdims=True) * U)  # P_u ∇|η|
        gn = jnp.linalg.norm(G, axis=1, keepdims=True)
        D = jnp.where(gn > 0, G / jnp.where(gn > 0, gn, 1.0), 0.0)
        s = step[:, None]
        U_new = unit_rows(jnp.cos(s) * U + jnp.sin(s) * D)
        v_new, g_new = value_and_grad(U_new)
        accept = jnp.abs(v_new) > jnp.abs(v)
        U = jnp.where(accept[:, None], U_new, U)
        v = jnp.where(accept, v_new, v)
        g = jnp.where(accept[:, None], g_new, g)
        step = jnp.where(accept, jnp.minimum(step * 1.5, 0.5), step * 0.5)
        return U, v, g, step

    U0 = unit_rows(U0)
    v0, g0 = value_and_grad(U0)
    step0 = jnp.full(U0.shape[:1], 0.05, U0.dtype)
    U, _, _, _ = jax.lax.fori_loop(0, steps, body, (U0, v0, g0, step0))
    vals = jnp.abs(eta(U))
    best = jnp.argmax(vals)
    return vals[best], U[best]


def ascent_starts(params: Params, teacher: Params, R):
    """Starting points (m + 2m* + n_random, d): student directions (zero rows replaced by rows of R),
    ±teacher directions, and the remaining n_random rows of R (uniform unit points, (m + n_random, d))."""
    m = params.W.shape[0]
    Ws = unit_rows(params.W)
    zero = jnp.sum(Ws * Ws, axis=1) == 0
    Ws = jnp.where(zero[:, None], R[:m], Ws)
    Wt = unit_rows(teacher.W.astype(Ws.dtype))
    return jnp.concatenate([Ws, Wt, -Wt, R[m:]], axis=0)


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
      key: PRNG key for the random starts (drawn on the host).
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
    name = feature_kernel(activation, params.has_head).activation.name
    m, d = params.W.shape
    R = numpy_rng(key).standard_normal((m + int(n_random), d))  # host-side: no threefry compile
    R = jnp.asarray(unit_rows_np(R), params.W.dtype)
    lam = jnp.asarray(lam, params.W.dtype)
    sup, arg = _ascent(params, teacher, lam, R, activation=name, steps=int(steps))
    return CertificateSup(sup, arg)


def certificate_support_gap(params: Params, teacher: Params, activation, lam, *, mass_tol: float = 1e-3) -> jax.Array:
    r"""max_{j: μ_j > τ} |η_λ(ŵ_j) − sign(a_j)|: the support half of the optimality conditions.

    At a balanced stationary point ∂L_λ/∂a_j = 0 gives η_λ(ŵ_j) = a_j/‖w_j‖ = sign(a_j); together with
    sup |η_λ| ≤ 1 (`certificate_sup`) this certifies a global minimum. A network with too much mass
    can have sup |η_λ| < 1 and still be far from optimal; this gap exposes it. Returns 0 if no neuron
    has mass above `mass_tol`.
    """
    name = feature_kernel(activation, params.has_head).activation.name
    return _support_gap(params, teacher, jnp.asarray(lam, params.W.dtype), jnp.asarray(mass_tol, params.W.dtype), activation=name)


@partial(jax.jit, static_argnames=("activation",))
def _support_gap(params, teacher, lam, mass_tol, *, activation):
    eta = _eta_fns(params, teacher, activation, lam)[0]
    mu = jnp.abs(params.a) * jnp.linalg.norm(params.W, axis=1)
    gap = jnp.abs(eta(params.W) - jnp.sign(params.a))
    return jnp.max(jnp.where(mu > mass_tol, gap, 0.0), initial=0.0)
