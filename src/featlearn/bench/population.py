"""P1, P2 and P3 of DESIGN §5, §7.8: the population-GD step against its FLOP limit, PyTorch, and a seed loop.

FLOP limit of one GD step on the exact population loss (homogeneous activation, d, m, m*): the least
matrix-product work an exact gradient needs, at the peak dgemm rate measured in this process.

- the Gram matrix W·[W; W*]ᵀ, of which only the upper half of W·Wᵀ is needed (it is symmetric):
  (m(m+1)/2 + m·m*)·d multiply-adds;
- the first-layer gradient ∇_W = S·W + M·[W; W*] with M the m × (m+m*) matrix of kernel derivatives:
  m·(m+m*)·d multiply-adds;

so FLOPs(step) = 2d·(m(m+1)/2 + m·m*) + 2d·m·(m+m*) (one multiply-add = 2 FLOPs). The elementwise passes
(arccos, sqrt over the m(m+m*) cosines) and the O(m·d) updates are not counted: the limit is a lower bound
on any implementation's time. The peak rate is the best of numpy's BLAS and XLA's dot on a 2048² float64
product (1536² in --quick), measured in the same process as the step, so a loaded machine lowers both.

P1 at (m, d) = (64, 20), (256, 100), (1024, 100), (4096, 200) (m* = 5, float64): featlearn's compiled GD
step (a `lax.scan` of steps, time per step) ÷ FLOPs(step) / peak. A ratio below 1 would mean the limit
is not one.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from featlearn.model import Params
from featlearn.teacher import make_teacher
from featlearn.bench.timing import best_time
from featlearn.objective import regularised_population_loss
from featlearn.train.loop import map_seeds, seed_block

P1_SIZES = ((64, 20), (256, 100), (1024, 100), (4096, 200))
M_STAR = 5


def _problem(d, m, m_star, seed=0, dtype=jnp.float64):
    k1, k2, k3 = jax.random.split(jax.random.PRNGKey(seed), 3)
    teacher = make_teacher(d, m_star, k1, directions="random", min_angle_deg=10.0, dtype=dtype)
    params = Params(0.1 * jax.random.normal(k2, (m,), dtype), jax.random.normal(k3, (m, d), dtype) / jnp.sqrt(d))
    return params, teacher


def step_flops(m: int, d: int, m_star: int = M_STAR) -> float:
    """FLOPs of the matrix products one exact population GD step needs (module docstring)."""
    return 2.0 * d * (m * (m + 1) / 2 + m * m_star) + 2.0 * d * m * (m + m_star)


def peak_flops(quick: bool = False, dtype=np.float64) -> dict:
    """Peak matrix-product rate (FLOP/s) of this process: best of numpy (BLAS) and XLA on an n² product."""
    n = 1536 if quick else 2048
    rng = np.random.default_rng(0)
    A, B = rng.standard_normal((n, n)).astype(dtype), rng.standard_normal((n, n)).astype(dtype)
    t_np = best_time(lambda: A @ B, repeat=3 if quick else 5)
    Aj, Bj = jnp.asarray(A), jnp.asarray(B)
    dot = jax.jit(jnp.matmul)
    t_xla = best_time(lambda: jax.block_until_ready(dot(Aj, Bj)), repeat=3 if quick else 5)
    flops = 2.0 * n**3
    return {"numpy": flops / t_np, "xla": flops / t_xla, "peak": flops / min(t_np, t_xla)}


def roofline_seconds(params, teacher, peak: float) -> float:
    """The FLOP-limit time of one step of this problem at `peak` FLOP/s."""
    m, d = params.W.shape
    return step_flops(m, d, int(teacher.W.shape[0])) / peak


def gd_scan(activation="relu_trim", lam=1e-3, lr=0.1, steps=100):
    def step(p, teacher):
        g = jax.grad(regularised_population_loss)(p, teacher, activation, lam)
        return jax.tree.map(lambda x, gi: x - lr * gi, p, g)

    def many(p, teacher):
        return jax.lax.scan(lambda c, _: (step(c, teacher), None), p, None, length=steps)[0]

    return many


def featlearn_step_seconds(params, teacher, steps=100, repeat=5) -> float:
    f = jax.jit(gd_scan(steps=steps))
    return best_time(lambda: jax.block_until_ready(f(params, teacher)), repeat=repeat) / steps


def p1(quick=False) -> dict:
    """P1 at the four sizes (module docstring); keys `P1_m{m}_d{d}`, with the step time and the limit."""
    peak = peak_flops(quick)
    out = {"P1_peak_gflops": peak["peak"] / 1e9, "P1_peak_numpy_gflops": peak["numpy"] / 1e9, "P1_peak_xla_gflops": peak["xla"] / 1e9}
    for m, d in P1_SIZES:
        params, teacher = _problem(d, m, M_STAR)
        steps = max(2, int(min(200, 2e8 / step_flops(m, d)))) // (4 if quick else 1) + 2  # about 0.2–2 s per trial
        step = featlearn_step_seconds(params, teacher, steps=steps, repeat=3 if quick else 5)
        limit = roofline_seconds(params, teacher, peak["peak"])
        out[f"P1_m{m}_d{d}"] = step / limit
        out[f"P1_m{m}_d{d}_step_ms"] = step * 1e3
        out[f"P1_m{m}_d{d}_limit_ms"] = limit * 1e3
    out["P1"] = out["P1_m256_d100"]  # the size of DESIGN §5
    return out


def p3(quick=False) -> dict:
    """64 seeds in one computation (the training loop's seed mapping, block from `seed_block`) against a
    Python loop of 64 separate compiled runs, at the default problem size (m = 64, d = 20) and at
    (m = 256, d = 100)."""
    peak = peak_flops(quick)["peak"]
    out = _p3(100, 256, quick, peak)
    small = _p3(20, 64, quick, peak)
    out.update({f"{k}_m64_d20": v for k, v in small.items() if k != "P3_roofline"})
    return out


def _p3(d, m, quick, peak) -> dict:
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
    roof = roofline_seconds(params, teacher, peak)
    return {"P3_roofline": t_batch / (n_seeds * roof), "P3_vs_loop": t_batch / t_loop,
            "P3_batch_step_ms": t_batch * 1e3, "P3_loop_step_ms": t_loop * 1e3, "P3_seed_block": block}


def _problem_params(key, d, m):
    k2, k3 = jax.random.split(key)
    return Params(0.1 * jax.random.normal(k2, (m,)), jax.random.normal(k3, (m, d)) / jnp.sqrt(d))


def f32(quick=False) -> dict:
    """F32 of DESIGN §7.8: the float32 population GD step ÷ the float64 one at (m = 1024, d = 100), same
    problem; and how far the float32 loss is from the float64 loss at the same point (relative)."""
    m, d = 1024, 100
    p64, t64 = _problem(d, m, M_STAR)
    p32, t32 = jax.tree.map(lambda x: x.astype(jnp.float32), (p64, t64))
    steps = 10 if quick else 40
    s64 = featlearn_step_seconds(p64, t64, steps=steps, repeat=3 if quick else 5)
    s32 = featlearn_step_seconds(p32, t32, steps=steps, repeat=3 if quick else 5)
    l64 = float(regularised_population_loss(p64, t64, "relu_trim", 1e-3))
    l32 = float(regularised_population_loss(p32, t32, "relu_trim", 1e-3))
    return {"F32": s32 / s64, "F32_step_ms": s32 * 1e3, "F64_step_ms": s64 * 1e3, "F32_loss_rel_err": abs(l32 - l64) / abs(l64)}
