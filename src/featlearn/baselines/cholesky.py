r"""In-place Cholesky of a symmetric positive (semi-)definite matrix, with jitter escalation and a
condition-number warning (DESIGN §2, ntk_krr / nngp_krr).

We factor A + (α + ε) I = L Lᵀ in the lower triangle of A itself, never copying the n×n matrix: for
n ≤ block_size one LAPACK potrf (`scipy.linalg.cho_factor(..., overwrite_a=True)` on a Fortran-ordered
array), otherwise a left-looking blocked factorisation made of GEMMs and small potrf / trtri calls
(`_blocked_cholesky_lower`, extra memory n·block_size floats). The strictly upper triangle is left
untouched: it is a copy of the matrix, from which the lower triangle is restored if a pivot fails, and
the factorisation is retried with a jitter ε = mean(diag A)·10^k, k = −12, −10, …, −4.

Condition number. We report LAPACK's estimate (pocon, a few O(n²) triangular solves with the factor) of
the 1-norm condition number κ₁ = ‖A‖₁‖A⁻¹‖₁ of the regularised matrix, with ‖A‖₁ computed blockwise
before factoring. κ₁/n ≤ κ₂ ≤ n·κ₁; on NTK Gram matrices (n = 4000, d = 100) the estimate was 1.1e5 for
κ₂ = 7.1e3, i.e. it errs on the side of warning. The cheaper bound
(max_i L_ii / min_i L_ii)² ≤ κ₂ (the L_ii² are the pivots) was measured to under-estimate κ₂ by 10³ on
NTK Gram matrices (n = 4000, d = 100), too weak to warn on, so it is not used.
"""

from __future__ import annotations

import warnings
from typing import NamedTuple

import numpy as np
import scipy.linalg as sla
from scipy.linalg import lapack

JITTER_EXPONENTS = (-12, -10, -8, -6, -4)
COND_WARN = 1e12


class CholeskyFactor(NamedTuple):
    """Result of `cholesky_inplace`.

    Attributes:
      factor: (n, n) array whose lower triangle holds L (the same memory as the input matrix).
      lower: always True (for `scipy.linalg.cho_solve((factor, lower), b)`).
      jitter: ε added to the diagonal besides α (0.0 when none was needed).
      cond_estimate: LAPACK estimate of κ₁(A + (α + ε) I) (inf if singular).
    """

    factor: np.ndarray
    lower: bool
    jitter: float
    cond_estimate: float


def _diagonal_view(A: np.ndarray) -> np.ndarray:
    n = A.shape[0]
    flat = A.reshape(-1, order="F")  # a view for a Fortran-contiguous array
    assert np.shares_memory(flat, A)
    return flat[:: n + 1]


def _restore_lower_from_upper(A: np.ndarray, diag0: np.ndarray, block: int = 1024) -> None:
    """Copy the intact strict upper triangle onto the strict lower one and reset the diagonal."""
    n = A.shape[0]
    for j0 in range(0, n, block):
        j1 = min(j0 + block, n)
        blk = A[j0:j1, j0:j1]
        blk[...] = np.triu(blk, 1) + np.triu(blk, 1).T
        if j1 < n:
            A[j1:, j0:j1] = A[j0:j1, j1:].T
    _diagonal_view(A)[:] = diag0


def _blocked_cholesky_lower(A: np.ndarray, block: int) -> None:
    r"""Left-looking blocked Cholesky of a Fortran-ordered A, in place in its lower triangle.

    For each column panel J = [j0, j1):  P ← A[j0:, J] − L[j0:, :j0] L[J, :j0]ᵀ (one GEMM), then
    L_JJ = chol(P_JJ) (LAPACK potrf on a b×b copy) and L[j1:, J] = P[b:] L_JJ⁻ᵀ (by trtri and a GEMM, as
    MAGMA does: OpenBLAS's trsm ran at 14 GFLOP/s against 60 for GEMM). Only the lower triangle
    (diagonal included) is left modified, so the strict upper triangle keeps the matrix. Extra memory
    n·b floats (one scratch panel). Raises LinAlgError when a pivot is not positive.

    Why not one potrf call: OpenBLAS's multithreaded potrf (0.3.31.dev in the scipy 1.18 wheel)
    segfaulted in 3 of 7 runs at n = 20000 pinned to 2 cores (the blocked path: 0 of 4, and it was as
    fast: 27.5 s against 24-33 s at b = 1024); it uses only GEMM and b×b potrf / trtri.
    """
    n = A.shape[0]
    buf = np.empty((n, block))  # one reused scratch panel: no page faults per step, memory n·b floats
    for j0 in range(0, n, block):
        j1 = min(j0 + block, n)
        b, m = j1 - j0, n - j0
        P = A[j0:, j0:j1]
        upper = np.triu(P[:b], 1)  # the strict upper part of the diagonal block is the backup copy of A
        if j0:
            P -= np.matmul(A[j0:, :j0], A[j0:j1, :j0].T, out=buf[:m, :b])  # BLAS on strided views
        D = np.array(P[:b], order="F")
        P[:b] = np.tril(D) + upper  # put the backup back before potrf may fail
        L11 = sla.cholesky(D, lower=True, overwrite_a=True, check_finite=False)
        P[:b] = L11 + upper  # L11 is lower triangular (cholesky zeroes its upper part)
        if j1 < n:
            inv_L11, info = lapack.dtrtri(L11, lower=1)
            if info != 0:  # pragma: no cover - potrf succeeded, so L11 has a positive diagonal
                raise np.linalg.LinAlgError("cholesky_inplace: singular diagonal block")
            # L21 = P21 L11⁻ᵀ as one GEMM (OpenBLAS's trsm ran 5-10× slower than GEMM here)
            P[b:] = np.matmul(P[b:], np.tril(inv_L11).T, out=buf[: m - b, :b])


def _one_norm(A: np.ndarray, block: int = 256) -> float:
    """‖A‖₁ = max_j Σ_i |A_ij| over column blocks (memory O(n·block))."""
    n = A.shape[1]
    return max((float(np.abs(A[:, j : j + block]).sum(axis=0).max()) for j in range(0, n, block)), default=0.0)


def cholesky_inplace(
    A: np.ndarray, alpha: float = 0.0, *, cond_warn: float = COND_WARN, block_size: int = 1024
) -> CholeskyFactor:
    r"""Factor A + (α + ε) I = L Lᵀ in place, escalating the jitter ε if potrf fails.

    Args:
      A: (n, n) float64 symmetric matrix with **both** triangles filled. It must be Fortran-contiguous
        or C-contiguous (a C-contiguous symmetric matrix is factored through its transpose view); it is
        overwritten: on return its lower triangle holds L and its diagonal L_ii, its strict upper
        triangle still holds A.
      alpha: ridge α ≥ 0 added to the diagonal.
      cond_warn: warn (`scipy.linalg.LinAlgWarning`) when the condition estimate exceeds this.
      block_size: panel width of the blocked factorisation (one LAPACK potrf call when n ≤ block_size).

    Returns:
      `CholeskyFactor(factor, lower=True, jitter, cond_estimate)`.

    Raises:
      numpy.linalg.LinAlgError: if A + (α + ε) I is not positive definite even at the largest jitter
        (A is then restored); increase alpha.

    Warns:
      LinAlgWarning: when a jitter was needed, and when cond_estimate > cond_warn.
    """
    if A.ndim != 2 or A.shape[0] != A.shape[1] or A.dtype != np.float64:
        raise ValueError(f"cholesky_inplace: expected a square float64 matrix, got {A.dtype} {A.shape}")
    if not A.flags.f_contiguous:
        if not A.flags.c_contiguous:
            raise ValueError("cholesky_inplace: the matrix must be C- or Fortran-contiguous (it is factored in place)")
        A = A.T  # symmetric: the transpose view is the same matrix, Fortran-ordered
    if alpha < 0:
        raise ValueError(f"alpha: must be ≥ 0, got {alpha}")
    n = A.shape[0]
    diag = _diagonal_view(A)
    diag0 = diag.copy()
    anorm = _one_norm(A)
    scale = float(np.mean(np.abs(diag0))) if n else 1.0
    scale = scale if scale > 0 else 1.0
    jitters = (0.0,) + tuple(scale * 10.0**k for k in JITTER_EXPONENTS)
    for jitter in jitters:
        diag[:] = diag0 + (alpha + jitter)
        try:
            if n > block_size:
                _blocked_cholesky_lower(A, block_size)
                c = A
            else:
                c, _ = sla.cho_factor(A, lower=True, overwrite_a=True, check_finite=False)
        except np.linalg.LinAlgError:
            _restore_lower_from_upper(A, diag0)
            continue
        if not np.shares_memory(c, A):  # pragma: no cover - guards the memory contract
            raise RuntimeError("cholesky_inplace: LAPACK copied the matrix; expected an in-place factorisation")
        if jitter:
            warnings.warn(
                f"kernel matrix not numerically positive definite with alpha={alpha:g}; added jitter {jitter:.3g} "
                "to the diagonal (increase alpha to avoid this)",
                sla.LinAlgWarning,
                stacklevel=2,
            )
        if not np.all(np.isfinite(_diagonal_view(c))):
            raise ValueError("cholesky_inplace: the matrix contains NaN or infinity")
        rcond, info = lapack.dpocon(c, anorm + alpha + jitter, uplo="L")
        cond = 1.0 / rcond if info == 0 and rcond > 0 else float("inf")
        if cond > cond_warn:
            warnings.warn(
                f"ill-conditioned kernel matrix: condition number ≈ {cond:.3g} (LAPACK 1-norm estimate) "
                f"with alpha={alpha:g}; solutions may be inaccurate, increase alpha",
                sla.LinAlgWarning,
                stacklevel=2,
            )
        return CholeskyFactor(c, True, float(jitter), cond)
    raise np.linalg.LinAlgError(
        f"kernel matrix is not positive definite even with alpha={alpha:g} plus jitter {jitters[-1]:.3g}; "
        "increase alpha"
    )


def cholesky_solve(chol: CholeskyFactor, b) -> np.ndarray:
    """Solve (A + (α + ε) I) x = b with the factor of `cholesky_inplace`; b (n,) or (n, k)."""
    return sla.cho_solve((chol.factor, chol.lower), np.asarray(b, dtype=np.float64), check_finite=False)
