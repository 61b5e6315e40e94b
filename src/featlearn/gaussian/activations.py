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
import dataclasses
from dataclasses import dataclass
from typing import Callable

import jax
import jax.numpy as jnp
import numpy as np

from featlearn.gaussian import kernels as K
from featlearn.gaussian import quadrature as Q

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
    fn: Callable | None = None  # the elementwise σ of a quadrature activation (its kernels by `Q.gauss_kernel`)
    rule: Q.Rule | None = None  # the 1-D rule of a quadrature activation (DESIGN §7.5)
    kernel_note: str = "closed form"  # how k_σ is computed, for reports
    relu_type: tuple | None = None  # (α, β): the base function is β·relu(z) − α·relu(−z) (`featlearn.gaussian.cross`)
    base_fn: Callable | None = None  # the smooth base function (when not relu-type), for cross-kernels
    trims: tuple = (False, False)  # Hermite orders 0, 1 removed from the base function
    even_mod_linear: bool = False  # σ(z) − σ(−z) is linear in z (gelu, softplus, silu): ±w is one feature under a linear head
    teacher: "Activation | None" = None  # a misspecified pair: the teacher's activation (this record is the student's)

    @property
    def quadrature(self) -> bool:
        """k_σ is computed by the 2-D quadrature rule (no closed form)."""
        return self.fn is not None

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
    relu_type=(0.0, 1.0),
    base_fn=lambda z: jnp.maximum(z, 0.0),
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
    relu_type=(-1.0, 1.0),
    base_fn=jnp.abs,
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
    relu_type=(0.0, 1.0),
    base_fn=lambda z: jnp.maximum(z, 0.0),
    trims=(True, True),
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
    base_fn=lambda z: jax.scipy.special.erf(z / math.sqrt(2.0)),
)

def quadrature_activation(fn: Callable, name: str, *, nodes: int = 48, rule: str = "trapezoid",
                          even: bool = False, odd: bool = False) -> Activation:
    r"""An activation from any elementwise JAX function σ (smooth: its kernels use σ' and σ''), with every
    Gaussian quantity by the quadrature of `featlearn.gaussian.quadrature` (DESIGN §7.5):

        kernel  k(u, v) = E[σ(u·x) σ(v·x)]             rule (1), n² nodes per pair
        mean    E[σ(w·x)],   linear  w E[σ'(w·x)]      the 1-D rule (Stein's lemma for the linear part)
        trimmed_kernel = kernel − mean mean − linear·linear

    Args:
      fn: σ, elementwise, differentiable by JAX (z ↦ jnp.tanh(z), …).
      name: the name it is known by (configs refer to it after `register_activation`).
      nodes, rule: the 1-D rule (`Rule(nodes, rule)`), "trapezoid" for smooth σ, "hermite" (exact) for
        polynomials of degree < nodes.
      even, odd: σ(−z) = ±σ(z) (then ±w is the same feature).

    Example:
      >>> import jax.numpy as jnp
      >>> act = quadrature_activation(jnp.tanh, "my_tanh", odd=True)
      >>> round(float(act.kernel(jnp.ones((1, 1)), jnp.ones((1, 1)))[0, 0]), 6)  # E[tanh(z)²]
      0.394294
    """
    q = Q.Rule(int(nodes), rule)
    Q.rule(*q)  # validates the node count
    mean = lambda W: Q.gauss_mean(fn, W, q)  # noqa: E731
    linear = lambda W: Q.gauss_linear(fn, W, q)  # noqa: E731
    kernel = lambda U, V: Q.gauss_kernel(fn, fn, U, V, q)  # noqa: E731

    def trimmed(U, V):
        return kernel(U, V) - mean(U)[:, None] * mean(V)[None, :] - linear(U) @ linear(V).T

    x, w = Q.rule(64, "hermite")  # Hermite orders 0 and 1 at unit norm decide the default head
    vals = np.asarray(fn(jnp.asarray(x)), float)
    low = bool(abs(np.sum(w * vals)) > 1e-8 or abs(np.sum(w * vals * x)) > 1e-8)
    zs = np.array([0.5, 1.0, 2.0, 3.0])
    odd_part = np.asarray(fn(jnp.asarray(zs)), float) - np.asarray(fn(jnp.asarray(-zs)), float)
    mod_linear = bool(not even and np.allclose(odd_part, zs * odd_part[1], rtol=1e-9, atol=1e-12))
    return Activation(name=name, forward=lambda Z, r: fn(Z), kernel=kernel, mean=mean, linear=linear, trimmed_kernel=trimmed,
                      homogeneous=False, even=even, odd=odd, low_orders=low, fn=fn, rule=q, base_fn=fn, even_mod_linear=mod_linear,
                      kernel_note=f"2-D quadrature ({q.kind}, {q.nodes}² nodes per pair)")


def _gelu(z):
    return z * 0.5 * jax.scipy.special.erfc(-z / math.sqrt(2.0))  # z·Φ(z), exact (not the tanh approximation)


def _softplus(z):
    return jnp.logaddexp(z, 0.0)


def _sigmoid(z):
    return jax.nn.sigmoid(z)


def _silu(z):
    return z * jax.nn.sigmoid(z)


def _he(k: int):
    coefs = tuple(0.0 if j != k else math.sqrt(math.factorial(k)) for j in range(k + 1))
    return hermite_polynomial(coefs)


def hermite_polynomial(coefs) -> Callable:
    r"""σ(z) = Σ_k c_k He_k(z)/√k! (probabilists' Hermite polynomials, orthonormal under N(0, 1)), by the
    three-term recurrence He_{k+1} = z He_k − k He_{k−1}."""
    coefs = tuple(float(c) for c in coefs)

    def sigma(z):
        h_prev, h = jnp.ones_like(z), z
        out = coefs[0] * h_prev
        if len(coefs) > 1:
            out = out + coefs[1] * h
        for k in range(1, len(coefs) - 1):
            h_prev, h = h, z * h - k * h_prev
            out = out + (coefs[k + 1] / math.sqrt(math.factorial(k + 1))) * h
        return out

    sigma.__name__ = "hermite"
    return sigma


def hermite_name(coefs) -> str:
    """The canonical name of the Hermite target Σ c_k He_k/√k!: "hermite(c0,c1,…)" (trailing zeros dropped)."""
    cs = [float(c) for c in coefs]
    while len(cs) > 1 and cs[-1] == 0.0:
        cs.pop()
    return "hermite(" + ",".join(f"{c:.17g}" for c in cs) + ")"


def hermite_activation(coefs) -> Activation:
    """The activation Σ c_k He_k/√k! with the exact Gauss–Hermite rule (K + 1 nodes for degree K)."""
    name = hermite_name(coefs)
    cs = [float(c) for c in name[len("hermite("):-1].split(",")]
    even = all(c == 0.0 for c in cs[1::2])
    odd = all(c == 0.0 for c in cs[0::2])
    return quadrature_activation(hermite_polynomial(cs), name, nodes=len(cs), rule="hermite", even=even, odd=odd)


def information_exponent(activation) -> int | None:
    """k* = the first k ≥ 1 with a nonzero Hermite coefficient E[σ(z) He_k(z)] (None if σ is constant up to
    order 12), computed by a 64-node Gauss–Hermite rule at unit norm."""
    act = get_activation(activation)
    fn = act.fn if act.fn is not None else (lambda z: act.forward(z[:, None], jnp.ones((1,), z.dtype))[:, 0])
    x, w = Q.rule(64, "hermite")
    vals = np.asarray(fn(jnp.asarray(x)))
    h_prev, h = np.ones_like(x), x.copy()
    for k in range(1, 13):
        if abs(np.sum(w * vals * h)) / math.sqrt(math.factorial(k)) > 1e-8:
            return k
        h_prev, h = h, x * h - k * h_prev
    return None


QUADRATURE = (
    quadrature_activation(jnp.tanh, "tanh", nodes=64, odd=True),
    quadrature_activation(_gelu, "gelu", nodes=48),
    quadrature_activation(_softplus, "softplus", nodes=40),
    quadrature_activation(_sigmoid, "sigmoid", nodes=48),
    quadrature_activation(_silu, "silu", nodes=48),
    *(dataclasses.replace(hermite_activation([0.0] * k + [math.sqrt(math.factorial(k))]), name=f"he{k}") for k in (2, 3, 4)),
)

ACTIVATIONS: dict[str, Activation] = {a.name: a for a in (RELU, ABS, RELU_TRIM, ERF, *QUADRATURE)}
BUILTIN = frozenset(ACTIVATIONS)


def misspecified(student: Activation, teacher: Activation) -> Activation:
    """The pair (student σ_s, teacher σ_t) as one record named "σ_s|σ_t": the student's fields (forward,
    kernel, symmetry, homogeneity) and `teacher` set; the objectives use cross-kernels E[σ_s σ_t]."""
    if student.teacher is not None or teacher.teacher is not None:
        raise ValueError("activation: a misspecified pair cannot be nested")
    return dataclasses.replace(student, name=f"{student.name}|{teacher.name}", teacher=teacher)


def register_activation(act: Activation, *, replace: bool = False) -> Activation:
    """Make an activation (e.g. from `quadrature_activation`) known by its name to configs and runs in
    this process; refuses to shadow a built-in name."""
    if act.name in BUILTIN and not replace:
        raise ValueError(f"activation: {act.name!r} is a built-in activation; choose another name")
    ACTIVATIONS[act.name] = act
    return act


def homogeneous_names() -> list[str]:
    """The positively 1-homogeneous activations (balancing, the measure view and certificates apply)."""
    return [name for name, a in ACTIVATIONS.items() if a.homogeneous]


def get_activation(activation: str | Activation) -> Activation:
    """Look an activation up by name; raises ValueError naming the valid names."""
    if isinstance(activation, Activation):
        return activation
    if isinstance(activation, str) and "|" in activation and activation not in ACTIVATIONS:
        s_name, _, t_name = activation.partition("|")
        pair = misspecified(get_activation(s_name), get_activation(t_name))
        if pair.teacher.name == pair.name.partition("|")[0]:
            return get_activation(s_name)
        ACTIVATIONS[activation] = pair
    if isinstance(activation, str) and activation.startswith("hermite(") and activation not in ACTIVATIONS:
        try:
            act = hermite_activation([float(c) for c in activation[len("hermite("):-1].split(",")])
        except ValueError:
            raise ValueError(f"activation: {activation!r} is not hermite(c0,c1,…) with numbers") from None
        ACTIVATIONS[activation] = ACTIVATIONS.get(act.name, act)
    try:
        return ACTIVATIONS[activation]
    except (KeyError, TypeError):
        valid = ", ".join(sorted(n for n in ACTIVATIONS if "|" not in n and not n.startswith("hermite(")))
        raise ValueError(f"activation: unknown activation {activation!r}; valid: {valid}") from None
