"""NTK / NNGP kernel ridge regression: agreement with a direct solve and with a precomputed Gram matrix,
conditioning warnings, and the scikit-learn estimator conventions."""

import numpy as np
import pytest
from scipy.linalg import LinAlgWarning

from featlearn.baselines import NotFittedError, NTKRegressor, arccos_kernel_matrix, nngp_krr, ntk_krr


@pytest.fixture
def problem():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((60, 4))
    y = np.maximum(X[:, 0], 0) - 0.5 * np.maximum(X[:, 1] + X[:, 2], 0) + 0.1 * rng.standard_normal(60)
    X_test = rng.standard_normal((17, 4))
    return X, y, X_test


@pytest.mark.parametrize("kernel", ["ntk", "nngp"])
def test_predictions_equal_direct_numpy_solve(problem, kernel):
    X, y, X_test = problem
    alpha = 0.03
    # reference: the kernel written out directly and a dense numpy solve
    d = X.shape[1]

    def k(A, B):
        G = A @ B.T
        r = np.outer(np.linalg.norm(A, axis=1), np.linalg.norm(B, axis=1))
        c = np.clip(G / r, -1, 1)
        if A is B:
            np.fill_diagonal(c, 1.0)  # c_ii = 1 exactly (rounding here is amplified by arccos at 1)
        theta = np.arccos(c)
        nngp = r * (np.sin(theta) + (np.pi - theta) * c) / (2 * np.pi * d)
        return nngp + (G / d) * (np.pi - theta) / (2 * np.pi) if kernel == "ntk" else nngp

    beta = np.linalg.solve(k(X, X) + alpha * np.eye(len(X)), y)
    model = NTKRegressor(alpha=alpha, kernel=kernel, block_size=16).fit(X, y)
    np.testing.assert_allclose(model.dual_coef_, beta, rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(model.predict(X_test), k(X_test, X) @ beta, rtol=1e-8, atol=1e-10)


def test_precomputed_equals_kernel(problem):
    X, y, X_test = problem
    a = NTKRegressor(alpha=0.1, kernel="ntk").fit(X, y)
    K = arccos_kernel_matrix(X, X, "ntk")
    K0 = K.copy()
    b = NTKRegressor(alpha=0.1, kernel="precomputed").fit(K, y)
    np.testing.assert_array_equal(K, K0)  # the caller's Gram matrix is not overwritten
    np.testing.assert_allclose(b.dual_coef_, a.dual_coef_, rtol=1e-10)
    np.testing.assert_allclose(b.predict(arccos_kernel_matrix(X_test, X, "ntk")), a.predict(X_test), rtol=1e-10, atol=1e-12)
    assert b.X_fit_ is None and a.X_fit_.shape == X.shape


def test_multi_output_and_helpers(problem):
    X, y, X_test = problem
    Y = np.stack([y, 2 * y], axis=1)
    m = ntk_krr(X, Y, 0.1)
    assert m.dual_coef_.shape == (60, 2) and m.predict(X_test).shape == (17, 2)
    np.testing.assert_allclose(m.predict(X_test)[:, 1], 2 * ntk_krr(X, y, 0.1).predict(X_test), rtol=1e-10)
    assert nngp_krr(X, y, 0.1).kernel == "nngp"


def test_interpolates_with_tiny_alpha(problem):
    X, y, _ = problem
    m = NTKRegressor(alpha=1e-10).fit(X, y)
    np.testing.assert_allclose(m.predict(X), y, atol=1e-6)
    assert set(m.fit_info_) >= {"assemble_seconds", "factor_seconds", "solve_seconds", "jitter", "cond_estimate"}


def test_near_duplicate_points_warn(problem):
    X, y, X_test = problem
    Xd = np.concatenate([X, X[:5] + 1e-9])
    yd = np.concatenate([y, y[:5]])
    with pytest.warns(LinAlgWarning, match="ill-conditioned|jitter"):
        m = NTKRegressor(alpha=0.0).fit(Xd, yd)
    assert np.all(np.isfinite(m.predict(X_test)))


def test_sklearn_conventions(problem):
    X, y, X_test = problem
    model = NTKRegressor(alpha=0.5, kernel="nngp", block_size=8)
    assert model.get_params() == {"alpha": 0.5, "kernel": "nngp", "block_size": 8, "cond_warn": 1e12}
    assert not any(k.endswith("_") for k in vars(model))  # __init__ only stores
    with pytest.raises(NotFittedError, match="not fitted yet.*fit"):
        model.predict(X_test)
    assert isinstance(NotFittedError("x"), (ValueError, AttributeError))
    assert model.fit(X, y) is model  # fit returns self
    assert model.set_params(alpha=1.0) is model and model.alpha == 1.0
    clone = type(model)(**model.get_params())
    assert repr(clone) == repr(model)
    with pytest.raises(ValueError, match="unknown parameter"):
        model.set_params(gamma=1.0)


def test_input_validation(problem):
    X, y, _ = problem
    with pytest.raises(ValueError, match="valid: ntk, nngp, precomputed"):
        NTKRegressor(kernel="rbf").fit(X, y)
    with pytest.raises(ValueError, match="square"):
        NTKRegressor(kernel="precomputed").fit(X, y)
    with pytest.raises(ValueError, match="y"):
        NTKRegressor().fit(X, y[:-1])
    with pytest.raises(ValueError, match="NaN"):
        NTKRegressor().fit(np.where(X > 2, np.nan, X), y)
    m = NTKRegressor().fit(X, y)
    with pytest.raises(ValueError, match=r"\(p, 4\)"):
        m.predict(X[:, :3])
