"""Closed-form Gaussian kernels of two-layer networks and their independent references."""

from featlearn.gaussian.activations import ACTIVATIONS, Activation, get_activation
from featlearn.gaussian.kernels import h, safe_norm, unit_rows


def kernel(activation, U, V):
    r"""K[i, j] = k_σ(U[i], V[j]) = E_x[σ(U[i]·x) σ(V[j]·x)], x ~ N(0, I_d), in closed form.

    Args:
      activation: "relu", "abs", "relu_trim", "erf" (or an `Activation`).
      U: (p, d) array.
      V: (q, d) array.

    Returns:
      (p, q) array. See `featlearn.gaussian.kernels` for the formulas (DESIGN §1.1).

    Example:
      >>> import jax.numpy as jnp, featlearn
      >>> float(featlearn.kernel("relu", jnp.eye(2), jnp.eye(2))[0, 0])  # r²/2
      0.5
    """
    return get_activation(activation).kernel(U, V)


__all__ = ["ACTIVATIONS", "Activation", "get_activation", "h", "kernel", "safe_norm", "unit_rows"]
