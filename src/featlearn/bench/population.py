"""P1, P2 and P3 of DESIGN §5: the population-GD step against its roofline, PyTorch, and a seed loop.

Roofline of one step (d, m, m*): 2 × the numpy matmul W·[W; W*]ᵀ plus one numpy pass of arccos and
sqrt over the m(m + m*) cosines — the least work any exact gradient step must do — timed in the same
process as the featlearn step (a compiled `lax.scan` of GD steps, time per step).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from featlearn.data import sample_data
from featlearn.model import Params
from featlearn.teacher import make_teacher
from featlearn.bench.timing import best_time
from featlearn.objective import regularised_population_loss
from featlearn.train.loop import map_seeds, seed_block


def _problem(d, m, m_star, seed=0, dtype=jnp.float64):
    k1, k2, k3 = jax.random.split(jax.random.PRNGKey(seed), 3)
    teacher = make_teacher(d, m_star, k1, directions="random", min_angle_deg=10.0, dtype=dtype)
    params = Params(0.1 * jax.random.normal(k2, (m,), dtype), jax.random.normal(k3, (m, d), dtype) / jnp.sqrt(d))
    return params, teacher


def roofline_seconds(params, teacher) -> float:
    W = np.asarray(params.W)
    Z = np.concatenate([W, np.asarray(teacher.W)])
    C = np.clip((W @ Z.T) / 10.0, -1, 1)

    def work():
        G = W @ Z.T
        G2 = W @ Z.T
        np.arccos(C)
        np.sqrt(1.0 - C * C)
        return G, G2

    return best_time(work, repeat=7, number=20)


def gd_scan(activation="relu_trim", lam=1e-3, lr=0.1, steps=100):
    def step(p, teacher):
        g = jax.grad(regularised_population_loss)(p, teacher, activation, lam)
        return jax.tree.map(lambda x, gi: x - lr * gi, p, g)

    def many(p, teacher):
        return jax.lax.scan(lambda c, _: (step(c, teacher), None), p, None, length=steps)[0]

    return many


def featlearn_step_seconds(params, teacher, steps=100) -> float:
    f = jax.jit(gd_scan(steps=steps))
    return best_time(lambda: jax.block_until_ready(f(params, teacher)), repeat=5) / steps


def p1(quick=False) -> dict:
    params, teacher = _problem(100, 256, 5)
    step = featlearn_step_seconds(params, teacher, steps=50 if quick else 200)
    roof = roofline_seconds(params, teacher)
    return {"P1": step / roof, "P1_step_ms": step * 1e3, "P1_roofline_ms": roof * 1e3}


def p3(quick=False) -> dict:
    """64 seeds in one computation (the training loop's seed mapping, block from `seed_block`) against a
    Python loop of 64 separate compiled runs, at the default problem size (m = 64, d = 20) and at
    (m = 256, d = 100)."""
    out = _p3(100, 256, quick)
    small = _p3(20, 64, quick)
    out.update({f"{k}_m64_d20": v for k, v in small.items() if k != "P3_roofline"})
    return out


def _p3(d, m, quick) -> dict:
    n_seeds = 64
    steps = 10 if quick else 40
    params, teacher = _problem(d, m, 5)
    batch = jax.vmap(lambda k: _problem_params(k, d, m))(jax.random.split(jax.random.PRNGKey(1), n_seeds))
    scan = gd_scan(steps=steps)
    block = seed_block(n_seeds, m, 5)
    f = jax.jit(map_seeds(lambda p: scan(p, teacher), block))  # the training loop's seed mapping
    t_batch = best_time(lambda: jax.block_until_ready(f(batch)), repeat=3) / steps
    single = jax.jit(gd_scan(steps=steps))
    seeds = [jax.tree.map(lambda x: x[i], batch) for i in range(n_seeds)]

    def loop():
        out = [single(p, teacher) for p in seeds]
        jax.block_until_ready(out)

    t_loop = best_time(loop, repeat=2) / steps
    roof = roofline_seconds(params, teacher)
    return {"P3_roofline": t_batch / (n_seeds * roof), "P3_vs_loop": t_batch / t_loop,
            "P3_batch_step_ms": t_batch * 1e3, "P3_loop_step_ms": t_loop * 1e3, "P3_seed_block": block}


def _problem_params(key, d, m):
    k2, k3 = jax.random.split(key)
    return Params(0.1 * jax.random.normal(k2, (m,)), jax.random.normal(k3, (m, d)) / jnp.sqrt(d))
