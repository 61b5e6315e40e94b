"""In-place Cholesky: no copy, correct solve, jitter escalation, restoration on failure, conditioning warning."""

import numpy as np
import pytest
from scipy.linalg import LinAlgWarning

from featlearn.baselines import cholesky_inplace, cholesky_solve


def _spd(n, seed=0, order="F"):
    B = np.random.default_rng(seed).standard_normal((n, n))
    return np.array(B @ B.T / n + np.eye(n), order=order)


BLOCKS = [7, 1024]  # blocked left-looking path (n > block) and a single LAPACK potrf (n ≤ block)


@pytest.mark.parametrize("order", ["F", "C"])
@pytest.mark.parametrize("block", BLOCKS)
def test_in_place_and_correct(order, block):
    A = _spd(40, order=order)
    A0 = A.copy()
    b = np.arange(40.0)
    chol = cholesky_inplace(A, alpha=0.5, block_size=block)
    assert np.shares_memory(chol.factor, A)  # factored in place, no copy
    assert chol.jitter == 0.0
    np.testing.assert_allclose(cholesky_solve(chol, b), np.linalg.solve(A0 + 0.5 * np.eye(40), b), rtol=1e-10)
    # the strict upper triangle (of the Fortran view) still holds the matrix
    F = chol.factor
    np.testing.assert_array_equal(np.triu(F, 1), np.triu(A0, 1))
    np.testing.assert_allclose(np.tril(F), np.linalg.cholesky(A0 + 0.5 * np.eye(40)), rtol=1e-10, atol=1e-12)
    # condition estimate is of the right order (1-norm estimate vs exact 2-norm)
    kappa2 = np.linalg.cond(A0 + 0.5 * np.eye(40))
    assert kappa2 / 40 <= chol.cond_estimate <= 40 * kappa2


@pytest.mark.parametrize("block", BLOCKS)
def test_jitter_escalation_warns_and_solves(block):
    n = 30
    Q, _ = np.linalg.qr(np.random.default_rng(1).standard_normal((n, n)))
    lam = np.ones(n)
    lam[-1] = -1e-9  # slightly indefinite: needs a jitter ≥ 1e-9
    A = np.asfortranarray(Q @ np.diag(lam) @ Q.T)
    A = np.asfortranarray((A + A.T) / 2)
    A0 = A.copy()
    with pytest.warns(LinAlgWarning, match="jitter"):
        chol = cholesky_inplace(A, alpha=0.0, cond_warn=np.inf, block_size=block)
    scale = np.mean(np.diag(A0))
    assert chol.jitter == pytest.approx(1e-8 * scale)
    b = np.ones(n)
    np.testing.assert_allclose(cholesky_solve(chol, b), np.linalg.solve(A0 + chol.jitter * np.eye(n), b), rtol=1e-6)
    np.testing.assert_array_equal(np.triu(chol.factor, 1), np.triu(A0, 1))  # backup intact after the retry


@pytest.mark.parametrize("block", [2, 1024])
def test_indefinite_raises_and_restores_matrix(block):
    A = _spd(9)
    A[6, 6] = -1.0  # fails in a later panel, after earlier panels were factored
    A0 = A.copy()
    with pytest.raises(np.linalg.LinAlgError, match="increase alpha"):
        cholesky_inplace(A, alpha=0.0, block_size=block)
    np.testing.assert_array_equal(A, A0)


def test_ill_conditioned_warns():
    A = np.asfortranarray(np.diag([1.0, 1.0, 1e-14]))
    with pytest.warns(LinAlgWarning, match="ill-conditioned"):
        chol = cholesky_inplace(A)
    assert chol.cond_estimate > 1e12


def test_rejects_bad_input():
    with pytest.raises(ValueError, match="square"):
        cholesky_inplace(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="alpha"):
        cholesky_inplace(_spd(3), alpha=-1.0)
    with pytest.raises(ValueError, match="contiguous"):
        cholesky_inplace(_spd(6)[::2, ::2])
