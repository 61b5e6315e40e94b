"""P8 of DESIGN §7.8: featlearn's exact population Hessian of L_λ against `jax.hessian` of the same loss.

featlearn's `hessian_matrix` assembles the Hessian block by block from the closed-form pair kernel's
first and second derivatives (O(m²d²) work, no Hessian-vector products); the reference is
`jax.hessian` (forward over reverse, all n = m(d + 1) columns at once) of the same function `loss_c2`. Both are
jitted and timed best-of-k after a warm-up, in this process; the ratio is reference ÷ featlearn.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
from jax.flatten_util import ravel_pytree

from featlearn.bench.timing import best_time
from featlearn.diagnostics.hessian import hessian_matrix, loss_c2
from featlearn.model import Params
from featlearn.teacher import make_teacher


def p8(quick: bool = False, *, d: int = 20, m: int = 64, lam: float = 1e-3) -> dict:
    k1, k2 = jax.random.split(jax.random.PRNGKey(0))
    teacher = make_teacher(d, 3, jax.random.PRNGKey(1), a_star=[1.0, -1.0, 1.0])
    params = Params(a=0.3 * jax.random.normal(k1, (m,)), W=jax.random.normal(k2, (m, d)) / np.sqrt(d))
    flat, unravel = ravel_pytree(params)
    ours = lambda: hessian_matrix(params, teacher, "relu_trim", lam).block_until_ready()  # noqa: E731
    ref_fn = jax.jit(jax.hessian(lambda x: loss_c2(unravel(x), teacher, "relu_trim", jnp.asarray(lam, x.dtype))))
    ref = lambda: ref_fn(flat).block_until_ready()  # noqa: E731
    err = float(jnp.max(jnp.abs(ours() - ref())) / jnp.max(jnp.abs(ref())))
    repeat = 2 if quick else 5
    t_ours, t_ref = best_time(ours, repeat=repeat), best_time(ref, repeat=repeat)
    return {"P8": t_ref / t_ours, "P8_featlearn_s": t_ours, "P8_jax_hessian_s": t_ref, "P8_relative_difference": err}
