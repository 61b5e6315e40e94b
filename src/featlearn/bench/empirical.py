"""P4 of DESIGN §5: empirical GD (n = 65536, d = 100, m = 256, float32) achieved GFLOP/s ÷ numpy matmul GFLOP/s.

FLOPs of one step: forward X Wᵀ (2nmd) and the first-layer gradient (δ ∘ σ')ᵀX (2nmd): 4nmd; the
smaller O(nm) terms are not counted. The reference is numpy's float32 matmul of the same shapes.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from featlearn.data import sample_data
from featlearn.model import Params
from featlearn.teacher import make_teacher
from featlearn.bench.timing import best_time
from featlearn.objective import regularised_empirical_loss


def p4(quick=False) -> dict:
    n, d, m = (16384 if quick else 65536), 100, 256
    key = jax.random.PRNGKey(0)
    teacher = make_teacher(d, 5, key, dtype=jnp.float32)
    X, y = sample_data(teacher, "relu", n, jax.random.PRNGKey(1))
    X, y = X.astype(jnp.float32), y.astype(jnp.float32)
    params = Params(0.1 * jnp.ones((m,), jnp.float32), jax.random.normal(key, (m, d), jnp.float32) / 10)
    steps = 5

    @jax.jit
    def many(p):
        def step(c, _):
            g = jax.grad(regularised_empirical_loss)(c, X, y, "relu", 1e-4)
            return jax.tree.map(lambda x, gi: x - 0.1 * gi, c, g), None

        return jax.lax.scan(step, p, None, length=steps)[0]

    t_step = best_time(lambda: jax.block_until_ready(many(params)), repeat=3) / steps
    flops = 4.0 * n * m * d
    Xn, Wn = np.asarray(X), np.asarray(params.W)
    t_mm = best_time(lambda: Xn @ Wn.T, repeat=5)
    ours, numpy_rate = flops / t_step / 1e9, 2.0 * n * m * d / t_mm / 1e9
    return {"P4": ours / numpy_rate, "P4_featlearn_gflops": ours, "P4_numpy_gflops": numpy_rate}
