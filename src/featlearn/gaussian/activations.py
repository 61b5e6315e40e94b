r"""The activations of DESIGN §1.1 as records: forward map, kernel and Hermite orders 0 and 1.

For a neuron w and x ~ N(0, I_d), write z = w·x and r = ‖w‖. Each activation gives

    forward(Z, r)      σ evaluated at the pre-activations Z = X Wᵀ (n, m) with row norms r (m,)
    kernel(U, V)       k_σ(u, v) = E[σ(u·x) σ(v·x)]                        (p, q)
    mean(W)            E[σ(w·x)]                       (Hermite order 0)    (m,)
    linear(W)          E[σ(w·x) x]  = w·E[σ'(w·x)]     (Hermite order 1)    (m, d)
    trimmed_kernel     k minus the orders 0 and 1: k(u,v) − mean_u mean_v − linear_u·linear_v

so that, for any student with a linear head c + v·x (DESIGN §1.3), the population loss splits exactly
into a constant part, a linear part and the part of degree ≥ 2 seen by `trimmed_kernel`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import jax
import jax.numpy as jnp

from featlearn.gaussian import kernels as K

INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)


@dataclass(frozen=True)
class Activation:
    """One activation σ with its Gaussian closed forms (see the module docstring)."""

    name: str
    forward: Callable  # (Z (n, m), r (m,)) -> (n, m)
    kernel: Callable  # (U (p, d), V (q, d)) -> (p, q)
    mean: Callable  # W (m, d) -> (m,)
    linear: Callable  # W (m, d) -> (m, d)
    trimmed_kernel: Callable  # (U, V) -> (p, q)
    homogeneous: bool
    even: bool
    odd: bool = False  # σ(−z) = −σ(z): ±w is the same feature with the sign of a flipped
    low_orders: bool = True  # Hermite orders 0 or 1 nonzero (a student then carries a linear head by default)
    coef: K.ArcCosCoefficients | None = None  # (A, B, D) for homogeneous activations
    trimmed_coef: K.ArcCosCoefficients | None = None

    @property
    def symmetric(self) -> bool:
        """σ is even or odd: a teacher direction and its antipode give the same feature (up to sign)."""
        return self.even or self.odd


def _zeros_like_rows(W):
    return jnp.zeros(W.shape[:-1], W.dtype)


RELU = Activation(
    name="relu",
    forward=lambda Z, r: jnp.maximum(Z, 0.0),
    kernel=K.relu_kernel,
    mean=lambda W: INV_SQRT_2PI * K.safe_norm(W),
    linear=lambda W: 0.5 * W,
    trimmed_kernel=K.relu_trim_kernel,
    homogeneous=True,
    even=False,
    coef=K.RELU,
    trimmed_coef=K.RELU_TRIM,
)

ABS = Activation(
    name="abs",
    forward=lambda Z, r: jnp.abs(Z),
    kernel=K.abs_kernel,
    mean=lambda W: 2.0 * INV_SQRT_2PI * K.safe_norm(W),
    linear=lambda W: jnp.zeros_like(W),
    trimmed_kernel=lambda U, V: K.arccos_kernel(U, V, K.ArcCosCoefficients.from_abrelu(-1.0, 1.0, True, True)),
    homogeneous=True,
    even=True,
    coef=K.ABS,
    trimmed_coef=K.ArcCosCoefficients.from_abrelu(-1.0, 1.0, True, True),
)

RELU_TRIM = Activation(
    name="relu_trim",
    forward=lambda Z, r: jnp.maximum(Z, 0.0) - INV_SQRT_2PI * r[..., None, :] - 0.5 * Z,
    kernel=K.relu_trim_kernel,
    mean=_zeros_like_rows,
    linear=lambda W: jnp.zeros_like(W),
    trimmed_kernel=K.relu_trim_kernel,
    homogeneous=True,
    even=True,
    low_orders=False,
    coef=K.RELU_TRIM,
    trimmed_coef=K.RELU_TRIM,
)


def _erf_linear(W):
    # E[erf(w·x/√2) x] = w E[σ'(w·x)] = w √(2/π) / √(1 + ‖w‖²)   (Stein's lemma)
    return W * (math.sqrt(2.0 / math.pi) / jnp.sqrt(1.0 + jnp.sum(W * W, axis=-1)))[..., None]


def _erf_trimmed(U, V):
    return K.erf_kernel(U, V) - _erf_linear(U) @ _erf_linear(V).T


ERF = Activation(
    name="erf",
    forward=lambda Z, r: jax.scipy.special.erf(Z / math.sqrt(2.0)),
    kernel=K.erf_kernel,
    mean=_zeros_like_rows,
    linear=_erf_linear,
    trimmed_kernel=_erf_trimmed,
    homogeneous=False,
    even=False,
    odd=True,
)

ACTIVATIONS: dict[str, Activation] = {a.name: a for a in (RELU, ABS, RELU_TRIM, ERF)}


def homogeneous_names() -> list[str]:
    """The positively 1-homogeneous activations (balancing, the measure view and certificates apply)."""
    return [name for name, a in ACTIVATIONS.items() if a.homogeneous]


def get_activation(activation: str | Activation) -> Activation:
    """Look an activation up by name; raises ValueError naming the valid names."""
    if isinstance(activation, Activation):
        return activation
    try:
        return ACTIVATIONS[activation]
    except (KeyError, TypeError):
        valid = ", ".join(sorted(ACTIVATIONS))
        raise ValueError(f"activation: unknown activation {activation!r}; valid: {valid}") from None
