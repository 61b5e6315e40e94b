r"""Kernel ridge regression with the infinite-width two-layer ReLU NTK / NNGP kernels (DESIGN §2).

Given training points (x_i, y_i), i = 1..n, the predictor is f̂(x) = Σ_i β_i k(x, x_i) with dual
coefficients

    β = (K + α I)⁻¹ y,      K_ij = k(x_i, x_j),

the minimiser of ½ Σ_i (f(x_i) − y_i)² + (α/2) ‖f‖²_H — the convention of `sklearn.kernel_ridge.KernelRidge`
(α is *not* divided by n: it corresponds to λ = α/n for the mean-normalised ½·(1/n)Σ loss of DESIGN §1.2).
k is the NTK ("ntk") or NNGP ("nngp") kernel of `featlearn.baselines.arccos_kernels` (normalisation
stated there: Θ(x, x) = ‖x‖²/d, K(x, x) = ‖x‖²/(2d)), or a user-supplied Gram matrix ("precomputed").

Memory: the Gram matrix is assembled blockwise into one Fortran-ordered n×n array and factored in place
(`cholesky_inplace`), so fit needs one n×n float64 matrix plus one n×1024 scratch panel (n = 20000:
3.2 + 0.16 GB); it is freed when fit returns. Prediction accumulates K(X_test, X_train) β tile by tile.
Measured (benchmarks/bench_p6_krr.py, n = 20000, d = 100, 2 cores): fit + predict of 5000 points
≈ 36-40 s, peak resident-memory increase 3.47 GB.
"""

from __future__ import annotations

import time

import numpy as np

from featlearn.baselines._estimator import BaseEstimator, check_is_fitted, check_X_y
from featlearn.baselines.arccos_kernels import KERNELS
from featlearn.baselines.cholesky import COND_WARN, cholesky_inplace, cholesky_solve
from featlearn.baselines.gram import gram_blockwise, kernel_matvec

KERNEL_CHOICES = KERNELS + ("precomputed",)


class NTKRegressor(BaseEstimator):
    r"""Kernel ridge regression with the two-layer ReLU NTK / NNGP kernel (scikit-learn KernelRidge API).

    Solves (K + α I) β = y by an in-place Cholesky (jitter escalation and a `LinAlgWarning` when the
    condition estimate exceeds `cond_warn`); predicts f̂(x) = Σ_i β_i k(x, x_i). See the module docstring.

    Args:
      alpha: ridge α ≥ 0 (scikit-learn convention: added to the Gram diagonal, not scaled by n).
      kernel: "ntk", "nngp" or "precomputed" (then `fit` takes the (n, n) Gram matrix and `predict` the
        (p, n) matrix K(X_test, X_train)).
      block_size: tile edge of the blockwise assembly (memory O(block_size²) besides the Gram matrix).
      cond_warn: condition-number threshold of the warning.

    Attributes (after fit):
      dual_coef_: (n,) or (n, k) dual coefficients β.
      X_fit_: (n, d) training inputs (None for kernel="precomputed": the Gram matrix is not kept).
      n_features_in_: d (n for "precomputed").
      fit_info_: dict with assemble_seconds, factor_seconds, solve_seconds, jitter, cond_estimate.

    Example:
      >>> import numpy as np
      >>> rng = np.random.default_rng(0)
      >>> X = rng.standard_normal((50, 3)); y = np.maximum(X[:, 0], 0)
      >>> model = NTKRegressor(alpha=1e-3).fit(X, y)
      >>> model.predict(X[:2]).shape
      (2,)
    """

    def __init__(self, alpha: float = 1.0, kernel: str = "ntk", block_size: int = 512, cond_warn: float = COND_WARN):
        self.alpha = alpha
        self.kernel = kernel
        self.block_size = block_size
        self.cond_warn = cond_warn

    def _check_kernel(self) -> str:
        if self.kernel not in KERNEL_CHOICES:
            raise ValueError(f"kernel: unknown kernel {self.kernel!r}; valid: {', '.join(KERNEL_CHOICES)}")
        return self.kernel

    def fit(self, X, y) -> "NTKRegressor":
        """Fit on inputs X (n, d) — or the Gram matrix (n, n) if kernel="precomputed" — and targets y (n,) or (n, k).

        Returns:
          self.
        """
        kernel = self._check_kernel()
        t0 = time.perf_counter()
        if kernel == "precomputed":
            X = np.asarray(X, dtype=np.float64)
            if X.ndim != 2 or X.shape[0] != X.shape[1]:
                raise ValueError(f"X: kernel='precomputed' needs a square (n, n) Gram matrix, got shape {X.shape}")
            _, y = check_X_y(np.zeros((X.shape[0], 0)), y)
            G = np.array(X, dtype=np.float64, order="F", copy=True)  # never overwrite the caller's matrix
            if not np.isfinite(G).all():
                raise ValueError("X: the precomputed Gram matrix contains NaN or infinity")
            self.X_fit_ = None
        else:
            X, y = check_X_y(X, y)
            G = gram_blockwise(X, None, kernel, self.block_size)
            self.X_fit_ = X
        t1 = time.perf_counter()
        chol = cholesky_inplace(G, float(self.alpha), cond_warn=self.cond_warn)
        t2 = time.perf_counter()
        self.dual_coef_ = cholesky_solve(chol, y)
        t3 = time.perf_counter()
        self.n_features_in_ = X.shape[1]
        self.fit_info_ = {
            "assemble_seconds": t1 - t0,
            "factor_seconds": t2 - t1,
            "solve_seconds": t3 - t2,
            "jitter": chol.jitter,
            "cond_estimate": chol.cond_estimate,
        }
        del chol, G  # free the n×n matrix now
        return self

    def predict(self, X) -> np.ndarray:
        """Predictions f̂(x) = Σ_i β_i k(x, x_i) for X (p, d), or K(X_test, X_train) (p, n) if precomputed."""
        check_is_fitted(self, "dual_coef_")
        X = np.asarray(X, dtype=np.float64)
        if self.kernel == "precomputed":
            if X.ndim != 2 or X.shape[1] != self.dual_coef_.shape[0]:
                n = self.dual_coef_.shape[0]
                raise ValueError(f"X: kernel='precomputed' needs K(X_test, X_train) of shape (p, {n}), got {X.shape}")
            return X @ self.dual_coef_
        if X.ndim != 2 or X.shape[1] != self.n_features_in_:
            raise ValueError(f"X: expected shape (p, {self.n_features_in_}), got {X.shape}")
        return kernel_matvec(X, self.X_fit_, self.dual_coef_, self.kernel, self.block_size)


def ntk_krr(X, y, alpha: float, *, block_size: int = 512) -> NTKRegressor:
    """Fitted NTK kernel ridge regression: `NTKRegressor(alpha, kernel="ntk", block_size).fit(X, y)`."""
    return NTKRegressor(alpha=alpha, kernel="ntk", block_size=block_size).fit(X, y)


def nngp_krr(X, y, alpha: float, *, block_size: int = 512) -> NTKRegressor:
    """Fitted NNGP kernel ridge regression: `NTKRegressor(alpha, kernel="nngp", block_size).fit(X, y)`."""
    return NTKRegressor(alpha=alpha, kernel="nngp", block_size=block_size).fit(X, y)
