"""Test-wide settings: float64, and strict rank / dtype promotion so silent broadcasting fails."""

import jax
import pytest

import featlearn  # noqa: F401  (switches on float64)

jax.config.update("jax_enable_x64", True)
jax.config.update("jax_numpy_rank_promotion", "raise")
jax.config.update("jax_numpy_dtype_promotion", "strict")


@pytest.fixture
def key():
    return jax.random.PRNGKey(0)
