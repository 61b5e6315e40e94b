"""G1 of DESIGN §7.8 and P1 at m = 4096 on an accelerator (`featlearn bench --gpu`, `benchmarks/gpu_check.py`).

- G1: 1024 seeds × (d = 100, m = 256, m* = 5) population GD in float64, all seeds vmapped in one
  compiled computation (a `lax.scan` of steps): seed-steps per second (goal ≥ 5e5), and the FLOP-limit
  ratio: time per seed-step ÷ (FLOPs of one step, `population.step_flops`) / (peak dgemm rate measured
  on the device in the same process, an 8192² float64 product).
- P1_m4096_d200 on the device: one seed's step ÷ its FLOP limit at the same peak.

On a machine where JAX sees no accelerator every figure is "skipped" with the reason.
"""

from __future__ import annotations

import time

import jax
import jax.numpy as jnp

from featlearn.bench.population import M_STAR, _problem, _problem_params, featlearn_step_seconds, gd_scan, step_flops
from featlearn.bench.timing import best_time


def device_peak_flops(n: int = 8192) -> float:
    k1, k2 = jax.random.split(jax.random.PRNGKey(0))
    A = jax.random.normal(k1, (n, n), jnp.float64)
    B = jax.random.normal(k2, (n, n), jnp.float64)
    dot = jax.jit(jnp.matmul)
    return 2.0 * n**3 / best_time(lambda: jax.block_until_ready(dot(A, B)), repeat=5)


def gpu(quick: bool = False) -> dict:
    backend = jax.default_backend()
    if backend == "cpu":
        return {"G1": "skipped", "G1_reason": "no accelerator: JAX sees only the CPU (install the CUDA build, README)"}
    dev = jax.devices()[0]
    t0 = time.perf_counter()
    peak = device_peak_flops(4096 if quick else 8192)
    n_seeds, d, m = (256 if quick else 1024), 100, 256
    _, teacher = _problem(d, m, M_STAR)
    batch = jax.vmap(lambda k: _problem_params(k, d, m))(jax.random.split(jax.random.PRNGKey(1), n_seeds))
    batch = jax.tree.map(lambda x: x.astype(jnp.float64), batch)
    steps = 20 if quick else 100
    scan = gd_scan(steps=steps)
    f = jax.jit(jax.vmap(lambda p: scan(p, teacher)))
    t = best_time(lambda: jax.block_until_ready(f(batch)), repeat=3) / steps  # one step of every seed
    seed_steps = n_seeds / t
    limit = n_seeds * step_flops(m, d) / peak
    p, tt = _problem(200, 4096, M_STAR)
    s4096 = featlearn_step_seconds(p, tt, steps=10 if quick else 40, repeat=3)
    return {"G1": seed_steps, "G1_seeds": n_seeds, "G1_flop_limit_ratio": t / limit, "G1_step_ms": t * 1e3,
            "G_peak_gflops": peak / 1e9, "P1_gpu_m4096_d200": s4096 / (step_flops(4096, 200) / peak),
            "P1_gpu_m4096_d200_step_ms": s4096 * 1e3, "G_device": str(getattr(dev, "device_kind", dev)),
            "G_backend": backend, "G_seconds": time.perf_counter() - t0}
