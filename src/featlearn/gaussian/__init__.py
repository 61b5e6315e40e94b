"""Gaussian kernels of two-layer networks: closed forms (relu, abs, relu_trim, erf), the 2-D quadrature of
any smooth activation (`quadrature`), cross-kernels of two activations (`cross`), and independent
references."""

from featlearn.gaussian.activations import (ACTIVATIONS, Activation, get_activation, hermite_activation, information_exponent,
                                            quadrature_activation, register_activation)
from featlearn.gaussian.kernels import h, safe_norm, unit_rows


def kernel(activation, U, V):
    r"""K[i, j] = k_σ(U[i], V[j]) = E_x[σ(U[i]·x) σ(V[j]·x)], x ~ N(0, I_d): in closed form for relu, abs,
    relu_trim, erf; by the 2-D quadrature of `featlearn.gaussian.quadrature` for the others.

    Args:
      activation: a name of `ACTIVATIONS` ("relu", "tanh", "he3", "hermite(0,1,0.5)", …) or an `Activation`.
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


__all__ = ["ACTIVATIONS", "Activation", "get_activation", "h", "hermite_activation", "information_exponent", "kernel",
           "quadrature_activation", "register_activation", "safe_norm", "unit_rows"]
