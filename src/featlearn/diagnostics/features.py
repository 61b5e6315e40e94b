r"""Which kernel the diagnostics see: the activation's, or its Hermite-trimmed one under a linear head.

A student with a free linear head c + v·x absorbs the Hermite orders 0 and 1 of σ (DESIGN §1.3), so
for the measure-space objects (certificates, alignment) the relevant feature map is σ minus those
orders, with kernel `trimmed_kernel`. For the homogeneous activations every kernel has the form
k(u, v) = r_u r_v g(c), g(c) = A h(c) + B c + D (`featlearn.gaussian.kernels`), and

    g(−c) = g(c)  for all c   ⇔   B = −A π / 2      (since h(−c) = h(c) − π c),

i.e. the feature is even (σ(−z) = σ(z) up to the removed orders) and ±w is the same feature. This
holds for `abs`, `relu_trim`, and for `relu` under a linear head (its trimmed part is `relu_trim`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import jax.numpy as jnp

from featlearn.gaussian.activations import Activation, get_activation
from featlearn.gaussian.kernels import ArcCosCoefficients

#: activations for which the certificate claims of DESIGN §1.5 are made (with a head: also relu)
CLAIMED = ("abs", "relu_trim")


def coef_is_even(coef: ArcCosCoefficients) -> bool:
    """True when g(−c) = g(c), i.e. B = −Aπ/2 (see the module docstring)."""
    return abs(coef.B + coef.A * math.pi / 2.0) <= 1e-12 * max(1.0, abs(coef.A), abs(coef.B))


@dataclass(frozen=True)
class FeatureKernel:
    """The kernel seen by the diagnostics.

    Attributes:
      activation: the activation record.
      head: whether the student carries a linear head (then the trimmed kernel is used).
      coef: (A, B, D) of g, or None for the non-homogeneous `erf`.
      even: ±w is the same feature (with the same sign of a).
      odd: ±w is the same feature with the sign of a flipped (σ(−z) = −σ(z): erf).
      claimed: the dual-certificate claims of DESIGN §1.5 apply (relu_trim, abs, or relu with a head).
    """

    activation: Activation
    head: bool
    coef: ArcCosCoefficients | None
    even: bool
    claimed: bool
    odd: bool = False

    @property
    def parity(self) -> int:
        """+1 for an even feature, −1 for an odd one, 0 otherwise (static argument of the alignment)."""
        return 1 if self.even else (-1 if self.odd else 0)

    def kernel(self, U, V):
        """k(U[i], V[j]) (p, q): the activation's kernel, or its trimmed kernel under a head."""
        return self.activation.trimmed_kernel(U, V) if self.head else self.activation.kernel(U, V)

    def radial(self, r):
        r"""κ(r) = k(r e, e) / k(e, e): the coefficient of a neuron's feature σ(r ŵ·x) on the unit feature σ(ŵ·x).

        A neuron (a, r ŵ) carries the weight a κ(r) on the direction ŵ (the measure view's mass, §1.4).
        For a positively homogeneous σ, σ(r z) = r σ(z), so κ(r) = r exactly and is returned as is; for erf
        it is computed from the (trimmed, under a head) kernel, so a near neuron's weight is the part of its
        function along the teacher's feature.
        """
        if self.coef is not None:
            return r
        e = jnp.ones((1, 1), r.dtype)
        return self.kernel(r[:, None], e)[:, 0] / self.kernel(e, e)[0, 0]


def feature_kernel(activation, head: bool = False) -> FeatureKernel:
    """Resolve the kernel, its (A, B, D), evenness and claim scope for `activation` (± a linear head)."""
    act = get_activation(activation)
    coef = act.trimmed_coef if head else act.coef
    even = act.even if coef is None else coef_is_even(coef)
    even = even or (head and act.even_mod_linear)  # σ = linear + even (gelu, softplus, silu): the head absorbs the difference
    claimed = coef is not None and (act.name in CLAIMED or (head and act.name == "relu"))
    odd = coef is None and act.odd  # (no homogeneous activation is odd: g(−c) = −g(c) forces A = D = 0)
    return FeatureKernel(act, bool(head), coef, bool(even), bool(claimed), bool(odd))
