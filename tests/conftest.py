"""Test-wide settings: float64, and strict rank / dtype promotion so silent broadcasting fails."""

import os
import tempfile

import jax
import pytest

import featlearn  # noqa: F401  (switches on float64)

jax.config.update("jax_enable_x64", True)
# Many tests run small configs of the same shapes: share compiled code through a per-session persistent
# compilation cache (also for the subprocesses the tests start).
# One cache per test process (pytest-xdist runs two): no two processes write one cache directory.
_CACHE = tempfile.mkdtemp(prefix=f"featlearn-test-jax-cache-{os.environ.get('PYTEST_XDIST_WORKER', 'main')}-")
os.environ["JAX_COMPILATION_CACHE_DIR"] = _CACHE
jax.config.update("jax_compilation_cache_dir", os.environ["JAX_COMPILATION_CACHE_DIR"])
jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
jax.config.update("jax_numpy_rank_promotion", "raise")
jax.config.update("jax_numpy_dtype_promotion", "strict")


@pytest.fixture
def key():
    return jax.random.PRNGKey(0)
