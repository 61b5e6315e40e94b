r"""Two-layer networks: parameters, forward pass, balancing and the linear head (DESIGN §1, §1.3, §1.4).

A network with m neurons is θ = (a, W), a ∈ R^m, W ∈ R^{m×d} (row w_j):

    f_θ(x) = Σ_j a_j σ(w_j·x)  [+ c + v·x  when the student carries a linear head].

The teacher is a `Params` too (unit rows, signed a*).
"""

from __future__ import annotations

from typing import NamedTuple, Optional

import jax
import jax.numpy as jnp

from featlearn.gaussian.activations import get_activation, homogeneous_names
from featlearn.gaussian.kernels import safe_norm


class Params(NamedTuple):
    """Parameters of a two-layer network (a JAX pytree).

    Attributes:
      a: (m,) second-layer weights.
      W: (m, d) first-layer weights, one neuron per row.
      c: optional scalar bias of the linear head (None: no head).
      v: optional (d,) slope of the linear head (None: no head).
    """

    a: jax.Array
    W: jax.Array
    c: Optional[jax.Array] = None
    v: Optional[jax.Array] = None

    @property
    def has_head(self) -> bool:
        return self.c is not None

    @property
    def m(self) -> int:
        return self.W.shape[-2]

    @property
    def d(self) -> int:
        return self.W.shape[-1]

    def without_head(self) -> "Params":
        return Params(self.a, self.W)

    def astype(self, dtype) -> "Params":
        """The same parameters in another floating dtype (None fields stay None)."""
        return jax.tree_util.tree_map(lambda x: jnp.asarray(x).astype(dtype), self)


def widest_float():
    """The widest floating dtype JAX offers now: float64 with x64 on, else float32. A float32 network
    is evaluated in it where a run reports a number (its own loss, not float32 rounding)."""
    return jnp.float64 if jax.config.jax_enable_x64 else jnp.float32


def features(X, W, activation) -> jax.Array:
    r"""The feature matrix Φ[i, j] = σ(w_j·x_i) (n, m) of the rows of X (n, d) and W (m, d)."""
    return get_activation(activation).forward(X @ W.T, safe_norm(W))


def forward(params: Params, X, activation) -> jax.Array:
    r"""f_θ(x_i) = Σ_j a_j σ(w_j·x_i) (+ c + v·x_i) for every row x_i of X (n, d); returns (n,)."""
    out = features(X, params.W, activation) @ params.a
    if params.has_head:
        out = out + params.c + X @ params.v
    return out


def mass(params: Params) -> jax.Array:
    """Mass μ_j = |a_j|·‖w_j‖ of each neuron (m,) (DESIGN §1.4)."""
    return jnp.abs(params.a) * safe_norm(params.W)


def balance(params: Params, activation=None) -> Params:
    r"""Rescale each neuron so that |a_j| = ‖w_j‖ without changing f_θ (DESIGN §1.4).

        (a_j, w_j) → (sign(a_j) √(|a_j| r_j),  w_j √(|a_j| / r_j)),    r_j = ‖w_j‖.

    For a positively 1-homogeneous σ this keeps f_θ and turns the weight decay (λ/2)(‖a‖² + ‖W‖²_F)
    into λ Σ_j μ_j (the total-variation norm of the neuron measure). Neurons with a_j = 0 or w_j = 0
    (zero mass) are set to zero.

    Args:
      params: the network.
      activation: if given and not positively homogeneous, balancing is refused.

    Raises:
      ValueError: for a non-homogeneous activation.
    """
    if activation is not None and not get_activation(activation).homogeneous:
        raise ValueError(
            f"balance: activation {get_activation(activation).name!r} is not positively homogeneous; "
            f"balancing needs one of {', '.join(homogeneous_names())}"
        )
    r = safe_norm(params.W)
    mu = jnp.abs(params.a) * r
    pos = mu > 0
    scale = jnp.where(pos, jnp.sqrt(jnp.where(pos, jnp.abs(params.a), 1.0) / jnp.where(pos, r, 1.0)), 0.0)
    a = jnp.where(pos, jnp.sign(params.a) * jnp.sqrt(mu), 0.0)
    return params._replace(a=a, W=params.W * scale[:, None])


def relative_movement(W, W0) -> jax.Array:
    r"""‖W − W₀‖_F / ‖W₀‖_F: how far the first layer moved from its initialisation (small in the lazy
    regime); NaN when W₀ = 0.

    Example:
      >>> import jax.numpy as jnp
      >>> float(relative_movement(jnp.ones((2, 2)) * 1.1, jnp.ones((2, 2))))  # doctest: +ELLIPSIS
      0.1000...
    """
    n0 = jnp.linalg.norm(W0)
    return jnp.where(n0 > 0, jnp.linalg.norm(W - W0) / jnp.where(n0 > 0, n0, 1.0), jnp.nan)
