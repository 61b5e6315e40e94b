r"""Hessian spectrum of the regularised population loss L_λ (DESIGN §1.2) at a network.

    L_λ(θ) = ½ bᵀ K(Z, Z) b [+ head terms, DESIGN §1.3] + (λ/2)(‖a‖² + ‖W‖²_F),

differentiated twice in all trainable parameters θ = (a, W[, c, v]) flattened (a first, then W row by
row, then the head). The homogeneous kernels k = r_u r_v g(c), g = A h(c) + B c + D, are C¹ in c with
h'(c) = π − arccos c, and h''(c) = 1/√(1 − c²) blows up at c = ±1. As a function of the weights,
however, k is C² at coinciding directions (u = v): there ∇_u c = 0 and g''(c) ∇c ∇cᵀ → 0 (along the
great circle k ∝ f(|θ|) with f'(0) = 0 and an |θ|³ term). Autodiff of the naive formula therefore
gives NaN on the diagonal K(z_j, z_j) and at aligned pairs; here h and h' carry `custom_jvp`s whose
second derivative is h''(c) for |c| < 1 and its limit contribution 0 at |c| = 1, so the Hessian is
exact wherever it exists (verified against finite differences of the fused gradient in the tests).
The cosine is clipped to [−1, 1] in value only (its derivative is kept), since c = 1 + ulp at an
aligned pair must still carry the curvature term g'(1)∇²c.
Zero-norm neurons are non-smooth points (k is 1-homogeneous); the value there is a Clarke element.

Cost: n = m(d + 1) (+ d + 1 with a head) Hessian-vector products, batched; O(n²) memory and an O(n³)
eigendecomposition, so problems with n > `max_params` are skipped with a note.
"""

from __future__ import annotations

from functools import partial
from typing import NamedTuple, Optional

import jax
import jax.numpy as jnp
import numpy as np
from jax.flatten_util import ravel_pytree

from featlearn.gaussian.activations import get_activation
from featlearn.model import Params
from featlearn.gaussian.kernels import arccos_kernel
from featlearn.objective import population_loss_reference, weight_decay


def loss_c2(params: Params, teacher: Params, activation, lam) -> jax.Array:
    """L_λ(θ), equal to `regularised_population_loss`, written to be twice differentiable (module doc)."""
    return population_loss_reference(params, teacher, activation, smooth=True) + lam * weight_decay(params)


class HessianSpectrum(NamedTuple):
    """Result of `hessian_spectrum`.

    Attributes:
      eigenvalues: (n,) ascending eigenvalues of ∇²L_λ(θ), or None when skipped.
      n_params: n, the number of trainable parameters.
      note: why the spectrum was skipped, or "" when computed.
      asymmetry: max |H − Hᵀ| / max |H| before symmetrisation (NaN when skipped).
    """

    eigenvalues: Optional[np.ndarray]
    n_params: int
    note: str
    asymmetry: float

    def to_summary(self) -> dict:
        """Plain-JSON summary: n_params, note, and min / max eigenvalue and count of negative ones."""
        out = {"n_params": self.n_params, "note": self.note}
        if self.eigenvalues is not None:
            ev = self.eigenvalues
            scale = max(float(np.abs(ev).max()), 1e-300)
            out.update(
                min_eigenvalue=float(ev[0]),
                max_eigenvalue=float(ev[-1]),
                n_negative=int(np.sum(ev < -1e-10 * scale)),
            )
        return out


def hessian_matrix(params: Params, teacher: Params, activation, lam, *, batch_size: int = 256) -> jax.Array:
    """∇²L_λ(θ) (n, n) in the flattened parameters (`jax.flatten_util.ravel_pytree(params)` order).

    Without a linear head, assembled block by block from the second derivatives of the pair kernel
    k(u, v) (`hessian_blocks`: O(m²d²) work); with one, by n Hessian-vector products of the fused
    gradient (`hessian_matrix_hvp`: O(m³d²))."""
    name = get_activation(activation).name
    if not params.has_head and get_activation(activation).teacher is None:  # a misspecified pair: no shared pair kernel
        return _hessian_blocks(params.a, params.W, teacher, jnp.asarray(lam, params.a.dtype), activation=name)
    return hessian_matrix_hvp(params, teacher, activation, lam, batch_size=batch_size)


def hessian_matrix_hvp(params: Params, teacher: Params, activation, lam, *, batch_size: int = 256) -> jax.Array:
    """∇²L_λ(θ) by n = m(d + 1) (+ head) Hessian-vector products of the fused gradient, batched."""
    name = get_activation(activation).name
    flat, unravel = ravel_pytree(params)
    return _hessian(flat, teacher, jnp.asarray(lam, flat.dtype), unravel=unravel, activation=name, batch_size=batch_size)


@partial(jax.jit, static_argnames=("unravel", "activation", "batch_size"))
def _hessian(flat, teacher, lam, *, unravel, activation, batch_size):
    grad = jax.grad(lambda x: loss_c2(unravel(x), teacher, activation, lam))

    def column(e):
        return jax.jvp(grad, (flat,), (e,))[1]

    return jax.lax.map(column, jnp.eye(flat.size, dtype=flat.dtype), batch_size=batch_size)


def _pair_kernel(activation: str):
    """k(u, v) for one pair, in the twice-differentiable form `loss_c2` uses."""
    act = get_activation(activation)
    if act.coef is not None:
        return lambda u, v: arccos_kernel(u[None], v[None], act.coef, clip_gradient=False)[0, 0]
    return lambda u, v: act.kernel(u[None], v[None])[0, 0]


@partial(jax.jit, static_argnames=("activation",))
def _hessian_blocks(a, W, teacher, lam, *, activation):
    r"""∇²L_λ for L = ½ bᵀK(Z, Z)b, b = (a, −a*), Z = (W; W*), from the pair kernel's derivatives:

        ∂²L/∂a_j∂a_k     = k(w_j, w_k) + λδ_jk
        ∂²L/∂a_j∂w_k     = δ_jk Σ_q b_q ∂₁k(w_j, z_q) + a_k ∂₂k(w_j, w_k)
        ∂²L/∂w_j∂w_k     = a_j a_k ∂₁∂₂k(w_j, w_k)                                   (j ≠ k)
        ∂²L/∂w_j²        = a_j Σ_q b_q ∂₁∂₁k(w_j, z_q) + a_j² ∂₁∂₂k(w_j, w_j) + λI

    (k symmetric; ∂₁, ∂₂: derivatives in the first and second argument)."""
    m, d = W.shape
    k = _pair_kernel(activation)
    Z = jnp.concatenate([W, teacher.W.astype(W.dtype)])
    b = jnp.concatenate([a, -teacher.a.astype(a.dtype)])

    g1 = jax.grad(k, 0)
    d1 = jax.jacfwd(g1, argnums=(0, 1))  # (∂₁∂₁k, ∂₁∂₂k)
    kv, G1 = jax.vmap(lambda u: jax.vmap(lambda v: (k(u, v), g1(u, v)))(Z))(W)  # (m, m+m*), (m, m+m*, d)
    G2 = jnp.swapaxes(G1[:, :m], 0, 1)  # ∂₂k(w_j, w_k) = ∂₁k(w_k, w_j)
    M11s, M12 = jax.vmap(lambda u: jax.vmap(lambda v: d1(u, v))(W))(W)  # student pairs: (m, m, d, d) each
    M11t = jax.vmap(lambda u: jax.vmap(lambda v: d1(u, v)[0])(Z[m:]))(W)  # teacher pairs: (m, m*, d, d)
    M11 = jnp.concatenate([M11s, M11t], axis=1)
    eye_m = jnp.eye(m, dtype=a.dtype)
    H_aa = kv[:, :m] + lam * eye_m
    diag_aw = jnp.einsum("q,jqe->je", b, G1)  # (m, d)
    H_aW = eye_m[:, :, None] * diag_aw[:, None, :] + a[None, :, None] * G2  # [j, k, e]
    H_WW = (a[:, None, None, None] * a[None, :, None, None]) * M12  # [j, k, e, f]
    diag_ww = a[:, None, None] * jnp.einsum("q,jqef->jef", b, M11) + lam * jnp.eye(d, dtype=a.dtype)[None]
    H_WW = H_WW + eye_m[:, :, None, None] * diag_ww[:, None, :, :]
    H_WW = H_WW.transpose(0, 2, 1, 3).reshape(m * d, m * d)
    H_aW = H_aW.reshape(m, m * d)
    return jnp.block([[H_aa, H_aW], [H_aW.T, H_WW]])


def hessian_spectrum(
    params: Params, teacher: Params, activation, lam, *, max_params: int = 5000
) -> HessianSpectrum:
    r"""Eigenvalues of the Hessian of L_λ at θ (module docstring), or None above `max_params`.

    Args:
      params: the network θ (with or without a linear head).
      teacher: the teacher θ*.
      activation: activation name.
      lam: weight decay λ.
      max_params: skip (eigenvalues None, with a note) when θ has more parameters than this.

    Returns:
      a `HessianSpectrum` (ascending eigenvalues as a numpy array).

    Example:
      >>> import jax, featlearn
      >>> from featlearn.diagnostics import hessian_spectrum
      >>> t = featlearn.make_teacher(3, 2, jax.random.PRNGKey(0), a_star=[1., -1.])
      >>> spec = hessian_spectrum(t, t, "relu_trim", 0.0)
      >>> spec.n_params, bool(spec.eigenvalues.min() > -1e-10)
      (8, True)
    """
    flat, _ = ravel_pytree(params)
    n = int(flat.size)
    if n > max_params:
        note = f"skipped: {n} parameters > max_params={max_params} (an n×n Hessian and its O(n³) spectrum)"
        return HessianSpectrum(None, n, note, float("nan"))
    H = np.asarray(hessian_matrix(params, teacher, activation, lam))
    if not np.all(np.isfinite(H)):  # e.g. a neuron whose norm overflowed: no spectrum to draw
        return HessianSpectrum(None, n, "skipped: the Hessian is not finite at this point", float("nan"))
    scale = max(float(np.abs(H).max()), 1e-300)
    asym = float(np.abs(H - H.T).max() / scale)
    ev = np.linalg.eigvalsh(0.5 * (H + H.T))
    return HessianSpectrum(ev, n, "", asym)
