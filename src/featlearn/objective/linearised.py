r"""Exact population objective of the network linearised at its initialisation (lazy / NTK regime).

DESIGN §2 ("lazy"), §1.1, §1.2. Around θ₀ = (a, W) (no linear head) the linearised model is

    f_lin(x; θ₀ + Δ) = f_θ₀(x) + J(x)·Δ,       J(x) = ∇_θ f_θ(x)|_θ₀ ∈ R^p,   p = m(d + 1),

with J_{a_j} = σ(w_j·x) and J_{w_j} = a_j ∇_w σ(w·x)|_{w_j} (for `relu_trim`, whose σ depends on ‖w‖,
this includes −a_j ŵ_j/√(2π)). Δ is flat in the order of `jax.flatten_util.ravel_pytree(Params(a, W))`:

    Δ = (Δa_1, …, Δa_m, ΔW_11, …, ΔW_1d, ΔW_21, …, ΔW_md)     (Δ[:m] = Δa, Δ[m:].reshape(m, d) = ΔW).

Its population loss against the teacher f* (x ~ N(0, I_d), normalisation ½ as in §1.2) is the quadratic

    L_lin(Δ) = ½ E[(f_θ₀ + JΔ − f*)²] = L₀ + gᵀΔ + ½ ΔᵀGΔ,
    L₀ = L(θ₀),   g = ∇L(θ₀) = E[J (f_θ₀ − f*)],   G = E[J Jᵀ]  (Gauss–Newton, p × p, PSD),

whose blocks are kernel derivatives (k = k_σ, H(u, v) = E[∇_uσ(u·x) ∇_vσ(v·x)ᵀ] = ∂²k/∂u∂vᵀ):

    G_{a_j a_l} = k(w_j, w_l),   G_{a_j w_l} = a_l ∂_v k(w_j, v)|_{v = w_l},   G_{w_j w_l} = a_j a_l H(w_j, w_l).

H in closed form (`grad_moment`), finite and continuous also at c = ±1 (coinciding, duplicated,
positively rescaled or antipodal neurons, in particular the diagonal j = l), where autodiff of k gives
NaN (g'' = A/√(1 − c²)). For the homogeneous kernels k = r_u r_v g(c), g = A h + B c + D
(`featlearn.gaussian.kernels`), with û = u/r_u, v̂ = v/r_v, c = û·v̂, s = √(1 − c²):

    H(u, v) = g'(c) I + (g(c) − c g'(c)) û v̂ᵀ + A (v̂ − c û)(û − c v̂)ᵀ / s,                        (H)

where the last term equals A s t t'ᵀ (t, t' unit tangents at û towards v̂ and at v̂ towards û) and tends
to 0 at s = 0. For relu (A = 1/(2π), B = D = 0), writing c = cos θ, this is the arc-cosine moment

    M(u, v) = E[1(u·x > 0) 1(v·x > 0) x xᵀ] = [(π − θ) I + sin²θ (û tᵀ + t ûᵀ) + sinθ cosθ (û ûᵀ − t tᵀ)] / (2π),

so M = I/2 at θ = 0 and 0 at θ = π; abs gives I and −I there; relu_trim gives I/4 − û ûᵀ/(2π) at c = 1
(from ∇_w relu_trim(w·x) = (1(w·x > 0) − ½) x − ŵ/√(2π) and E[(1(u·x > 0) − ½) x] = û/√(2π)). For erf,
σ'(z) = √(2/π) e^{−z²/2} and E[e^{−xᵀAx/2} x xᵀ] = det(I + A)^{−1/2} (I + A)^{−1} with A = u uᵀ + v vᵀ give,
by Woodbury with P = [u v] (d × 2) and S = I₂ + PᵀP,

    H_erf(u, v) = (2/π) det(S)^{−1/2} (I − P S⁻¹ Pᵀ).

Zero-norm neurons: σ is not differentiable there; H uses û = 0 (so H = g'(0) I) and ∂_v k follows the
kernels' safe-norm convention. The linear head is not linearised (refused): fit it first (§1.3).

References: Jacot, Gabriel & Hongler (2018); Chizat, Oyallon & Bach (2019), lazy training; Cho & Saul
(2009), arc-cosine kernels; Zhou & Ge (NeurIPS 2024), §1 (kernel baseline).
"""

from __future__ import annotations

from functools import partial
from typing import NamedTuple

import jax
import jax.numpy as jnp
from jax.flatten_util import ravel_pytree

from featlearn.gaussian.activations import Activation, get_activation
from featlearn.model import Params
from featlearn.objective.population import population_loss


class LinearisedQuadratic(NamedTuple):
    r"""L_lin(Δ) = L₀ + gᵀΔ + ½ ΔᵀGΔ (a pytree: jit- and vmap-able).

    Attributes:
      L0: scalar L(θ₀) = ½ E[(f_θ₀ − f*)²].
      g: (p,) gradient ∇L(θ₀), p = m(d + 1), flat in `ravel_pytree(Params(a, W))` order (a, then W row-major).
      G: (p, p) Gauss–Newton matrix E[J Jᵀ] (symmetric PSD).
      params0: the linearisation point θ₀ = `Params(a, W)` (fixes the flattening).
    """

    L0: jax.Array
    g: jax.Array
    G: jax.Array
    params0: Params

    def ravel(self, params: Params) -> jax.Array:
        """Flatten a `Params(a, W)` (or a displacement of that shape) to (p,)."""
        return ravel_pytree(Params(params.a, params.W))[0]

    def unravel(self, delta) -> Params:
        """Δ (p,) → `Params(Δa (m,), ΔW (m, d))`."""
        return ravel_pytree(self.params0)[1](delta)

    def params(self, delta) -> Params:
        """The moved parameters θ₀ + Δ as a `Params`."""
        return jax.tree_util.tree_map(jnp.add, self.params0, self.unravel(delta))

    def loss(self, delta) -> jax.Array:
        """L_lin(Δ) (see `linearised_loss`)."""
        return linearised_loss(delta, self)


def homogeneous_grad_moment(u, v, coef) -> jax.Array:
    r"""H(u, v) = E[∇_uσ(u·x) ∇_vσ(v·x)ᵀ] for k = r_u r_v (A h(c) + B c + D), by eq. (H) of the module.

    Args:
      u: (d,) first weight vector.
      v: (d,) second weight vector.
      coef: the activation's `ArcCosCoefficients` (A, B, D).

    Returns:
      (d, d) array; finite and continuous at c = ±1.
    """
    ru = jnp.sqrt(jnp.sum(u * u))
    rv = jnp.sqrt(jnp.sum(v * v))
    uh = jnp.where(ru > 0, u / jnp.where(ru > 0, ru, 1.0), 0.0)
    vh = jnp.where(rv > 0, v / jnp.where(rv > 0, rv, 1.0), 0.0)
    c = jnp.clip(jnp.sum(uh * vh), -1.0, 1.0)
    p = vh - c * uh  # = s t
    q = uh - c * vh  # = s t'
    s = jnp.sqrt(jnp.sqrt(jnp.sum(p * p) * jnp.sum(q * q)))  # = √(1 − c²), accurate near c = ±1
    tangential = jnp.where(s > 0, coef.A / jnp.where(s > 0, s, 1.0), 0.0) * jnp.outer(p, q)
    g, dg = coef.g(c), coef.dg(c)
    eye = jnp.eye(u.shape[-1], dtype=u.dtype)
    return dg * eye + (g - c * dg) * jnp.outer(uh, vh) + tangential


def erf_grad_moment(u, v) -> jax.Array:
    r"""H(u, v) = (2/π) E[e^{−((u·x)² + (v·x)²)/2} x xᵀ] = (2/π) det(S)^{−1/2} (I − P S⁻¹ Pᵀ), P = [u v], S = I₂ + PᵀP.

    Args:
      u: (d,) first weight vector.
      v: (d,) second weight vector.

    Returns:
      (d, d) array.
    """
    P = jnp.stack([u, v], axis=1)  # (d, 2)
    S = jnp.eye(2, dtype=u.dtype) + P.T @ P
    det = S[0, 0] * S[1, 1] - S[0, 1] * S[1, 0]
    S_inv = jnp.stack([jnp.stack([S[1, 1], -S[0, 1]]), jnp.stack([-S[1, 0], S[0, 0]])]) / det
    eye = jnp.eye(u.shape[-1], dtype=u.dtype)
    return (2.0 / jnp.pi) / jnp.sqrt(det) * (eye - P @ S_inv @ P.T)


def grad_moment(activation, u, v) -> jax.Array:
    r"""H(u, v) = E_x[∇_uσ(u·x) ∇_vσ(v·x)ᵀ] = ∂²k_σ/∂u∂vᵀ in closed form, exact also at c = ±1.

    ∇_w includes the dependence of σ on ‖w‖ (relu_trim). See the module docstring for the formulas.

    Args:
      activation: "relu", "abs", "relu_trim", "erf" (or an `Activation`).
      u: (d,) array.
      v: (d,) array.

    Returns:
      (d, d) array.

    Example:
      >>> import jax.numpy as jnp, featlearn
      >>> from featlearn.objective.linearised import grad_moment
      >>> float(grad_moment("relu", jnp.array([1.0, 0.0]), jnp.array([2.0, 0.0]))[1, 1])  # I/2 at c = 1
      0.5
    """
    act = get_activation(activation)
    if act.coef is not None:
        return homogeneous_grad_moment(u, v, act.coef)
    return erf_grad_moment(u, v)


def _pair_kernel(act: Activation):
    return lambda u, v: act.kernel(u[None, :], v[None, :])[0, 0]


def _pairwise(fn, U, V):
    """fn(U[j], V[l]) for all pairs, stacked as (p, q, ...)."""
    return jax.vmap(jax.vmap(fn, in_axes=(None, 0)), in_axes=(0, None))(U, V)


def gauss_newton(params0: Params, activation) -> jax.Array:
    r"""G = E[J(x) J(x)ᵀ] (p × p) at θ₀ = (a, W), blocks as in the module docstring, Δ-order a then W.

    Args:
      params0: `Params(a (m,), W (m, d))`.
      activation: "relu", "abs", "relu_trim", "erf" (or an `Activation`).

    Returns:
      (p, p) symmetric PSD array, p = m(d + 1).
    """
    act = get_activation(activation)
    a, W = params0.a, params0.W
    m, d = W.shape
    K_aa = act.kernel(W, W)  # (m, m)
    dk = _pairwise(jax.grad(_pair_kernel(act), argnums=1), W, W)  # [j, l] = ∂_v k(w_j, v)|_{w_l}, (m, m, d)
    G_aw = (dk * a[None, :, None]).reshape(m, m * d)
    H = _pairwise(partial(grad_moment, act), W, W)  # (m, m, d, d)
    G_ww = ((a[:, None] * a[None, :])[:, :, None, None] * H).transpose(0, 2, 1, 3).reshape(m * d, m * d)
    G = jnp.block([[K_aa, G_aw], [G_aw.T, G_ww]])
    return 0.5 * (G + G.T)


def _check_no_head(params0: Params, name: str):
    if params0.has_head:
        raise ValueError(
            f"{name}: params0 carries a linear head (c, v); the linearised objective is over (a, W) only. "
            "Fit the head first (featlearn.optimal_head) and pass params0.without_head()"
        )


@partial(jax.jit, static_argnames="activation")
def _linearised_quadratic(params0: Params, teacher: Params, activation) -> LinearisedQuadratic:
    L0, grads = jax.value_and_grad(population_loss)(params0, teacher, activation)
    g = ravel_pytree(Params(grads.a, grads.W))[0]
    return LinearisedQuadratic(L0, g, gauss_newton(params0, activation), params0)


def linearised_quadratic(params0: Params, teacher: Params, activation) -> LinearisedQuadratic:
    r"""Exact population objective of the network linearised at θ₀: L_lin(Δ) = L₀ + gᵀΔ + ½ ΔᵀGΔ.

    L₀ = L(θ₀) and g = ∇L(θ₀) (`population_loss` and its gradient), G = E[J Jᵀ] (`gauss_newton`), all in
    closed form for x ~ N(0, I_d). Compiled (the activation is static).

    Args:
      params0: the initialisation `Params(a (m,), W (m, d))`, without a linear head.
      teacher: the teacher `Params(a* (m*,), W* (m*, d))`.
      activation: "relu", "abs", "relu_trim", "erf" (or an `Activation`).

    Returns:
      `LinearisedQuadratic(L0 (), g (p,), G (p, p), params0)`, p = m(d + 1), Δ flat in
      `ravel_pytree(Params(a, W))` order.

    Raises:
      ValueError: if params0 carries a linear head.

    Example:
      >>> import jax, featlearn
      >>> from featlearn.objective.linearised import linearised_quadratic
      >>> t = featlearn.make_teacher(3, 2, jax.random.PRNGKey(0))
      >>> q = linearised_quadratic(featlearn.Params(jax.numpy.ones(4), 0.5 * jax.numpy.ones((4, 3))), t, "relu")
      >>> q.G.shape
      (16, 16)
    """
    _check_no_head(params0, "linearised_quadratic")
    return _linearised_quadratic(Params(params0.a, params0.W), teacher, activation)


def linearised_loss(delta, quad: LinearisedQuadratic) -> jax.Array:
    r"""L_lin(Δ) = L₀ + gᵀΔ + ½ ΔᵀGΔ = ½ E[(f_θ₀(x) + J(x)Δ − f*(x))²].

    Args:
      delta: (p,) displacement Δ from θ₀ (order of `LinearisedQuadratic.ravel`).
      quad: the `LinearisedQuadratic`.

    Returns:
      scalar L_lin(Δ) ≥ 0 (up to rounding).
    """
    return quad.L0 + quad.g @ delta + 0.5 * delta @ (quad.G @ delta)


def linearised_minimiser(quad: LinearisedQuadratic, ridge: float = 0.0, rcond: float = 1e-10) -> jax.Array:
    r"""Δ̂ = −(G + ridge·I)⁺ g: the minimum-norm minimiser of L_lin (+ (ridge/2)‖Δ‖²).

    Gradient descent on L_lin from Δ = 0 converges to it (ridge = 0), i.e. the end point of lazy
    training. Eigenvalues below rcond·λ_max are dropped.

    Args:
      quad: the `LinearisedQuadratic`.
      ridge: Tikhonov parameter ≥ 0.
      rcond: relative eigenvalue cut-off of the pseudo-inverse.

    Returns:
      (p,) array Δ̂.
    """
    lam, V = jnp.linalg.eigh(quad.G)
    lam = lam + ridge
    keep = lam > rcond * jnp.max(jnp.abs(lam))
    inv = jnp.where(keep, 1.0 / jnp.where(keep, lam, 1.0), 0.0)
    return -(V @ (inv * (V.T @ quad.g)))


__all__ = [
    "LinearisedQuadratic",
    "gauss_newton",
    "grad_moment",
    "linearised_loss",
    "linearised_minimiser",
    "linearised_quadratic",
]
