"""The benchmark definitions of DESIGN §7.8 that can be checked without timing anything: the FLOP count
behind P1's limit is a lower bound on the matrix-product work of featlearn's step (counted independently
from the jaxpr of the gradient), not a trivially small one; the GPU check says "skipped" on a CPU; the
compilation cache is bounded and can be turned off."""

from __future__ import annotations

import os
import subprocess
import sys

import jax
import numpy as np
import pytest

from featlearn.bench.population import _problem, step_flops
from featlearn.objective import regularised_population_loss


def _dot_flops(jaxpr) -> float:
    """2 × multiply-adds of every dot_general in a (closed) jaxpr, sub-jaxprs included."""
    total = 0.0
    for eqn in jaxpr.eqns:
        if eqn.primitive.name == "dot_general":
            (lc, rc), (lb, rb) = eqn.params["dimension_numbers"]
            lhs, rhs = (v.aval.shape for v in eqn.invars)
            contract = np.prod([lhs[i] for i in lc]) if lc else 1
            batch = np.prod([lhs[i] for i in lb]) if lb else 1
            free_l = np.prod([s for i, s in enumerate(lhs) if i not in lc and i not in lb])
            free_r = np.prod([s for i, s in enumerate(rhs) if i not in rc and i not in rb])
            total += 2.0 * batch * contract * free_l * free_r
        for sub in jax.core.subjaxprs(eqn) if hasattr(jax.core, "subjaxprs") else ():
            total += _dot_flops(sub)
        for v in eqn.params.values():
            inner = getattr(v, "jaxpr", None)
            if inner is not None and hasattr(inner, "eqns"):
                total += _dot_flops(inner)
            elif hasattr(v, "eqns"):
                total += _dot_flops(v)
    return total


@pytest.mark.parametrize("m, d", [(64, 20), (256, 100)])
def test_p1_flop_count_is_a_lower_bound_of_the_step_matmuls(m, d):
    params, teacher = _problem(d, m, 5)
    jaxpr = jax.make_jaxpr(lambda p: jax.grad(regularised_population_loss)(p, teacher, "relu_trim", 1e-3))(params)
    counted = _dot_flops(jaxpr.jaxpr)
    limit = step_flops(m, d, 5)
    assert limit <= counted, (limit, counted)  # the limit never exceeds the work featlearn does
    assert limit >= 0.6 * counted, (limit, counted)  # ... and is those products less the symmetric half and the teacher rows
    # the formula itself: Gram half + student-teacher block, then the gradient product
    assert limit == 2 * d * (m * (m + 1) / 2 + 5 * m) + 2 * d * m * (m + 5)


def test_gpu_check_is_skipped_without_an_accelerator():
    if jax.default_backend() != "cpu":
        pytest.skip("an accelerator is present")
    from featlearn.bench.gpu import gpu

    out = gpu(quick=True)
    assert out["G1"] == "skipped" and "accelerator" in out["G1_reason"]


def test_compile_cache_prune_deletes_the_oldest_down_to_half(tmp_path):
    from featlearn._cache import prune

    for i in range(10):
        f = tmp_path / f"e{i}"
        f.write_bytes(b"x" * 100)
        os.utime(f, (1000 + i, 1000 + i))
    assert prune(tmp_path, max_bytes=2000) == 0 and len(list(tmp_path.iterdir())) == 10
    freed = prune(tmp_path, max_bytes=800)
    left = sorted(p.name for p in tmp_path.iterdir())
    assert freed == 600 and left == ["e6", "e7", "e8", "e9"]


@pytest.mark.parametrize("setting, expect", [("0", "None"), ("{tmp}/c", "{tmp}/c")])
def test_compile_cache_follows_the_environment(tmp_path, setting, expect):
    env = {k: v for k, v in os.environ.items() if k != "JAX_COMPILATION_CACHE_DIR"}
    env["FEATLEARN_COMPILE_CACHE"] = setting.format(tmp=tmp_path)
    code = "import featlearn, jax; print(jax.config.jax_compilation_cache_dir)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True).stdout.strip()
    assert out == expect.format(tmp=tmp_path)


def test_a_cache_directory_of_the_user_is_kept(tmp_path):
    env = dict(os.environ, JAX_COMPILATION_CACHE_DIR=str(tmp_path / "mine"), FEATLEARN_COMPILE_CACHE=str(tmp_path / "ours"))
    code = "import featlearn, jax; print(jax.config.jax_compilation_cache_dir)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True).stdout.strip()
    assert out == str(tmp_path / "mine")
