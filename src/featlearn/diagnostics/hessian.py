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
    """∇²L_λ(θ) (n, n) in the flattened parameters (`jax.flatten_util.ravel_pytree(params)` order)."""
    name = get_activation(activation).name
    flat, unravel = ravel_pytree(params)
    return _hessian(flat, teacher, jnp.asarray(lam, flat.dtype), unravel=unravel, activation=name, batch_size=batch_size)


@partial(jax.jit, static_argnames=("unravel", "activation", "batch_size"))
def _hessian(flat, teacher, lam, *, unravel, activation, batch_size):
    grad = jax.grad(lambda x: loss_c2(unravel(x), teacher, activation, lam))

    def column(e):
        return jax.jvp(grad, (flat,), (e,))[1]

    return jax.lax.map(column, jnp.eye(flat.size, dtype=flat.dtype), batch_size=batch_size)


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
