"""Ridge parameters chosen on a validation split, not by test risk."""

import numpy as np
import pytest

from featlearn.baselines import choose_alpha
from featlearn.baselines.validation import split


class _Ridge:
    def __init__(self, X, y, a):
        self.coef = np.linalg.solve(X.T @ X / len(y) + a * np.eye(X.shape[1]), X.T @ y / len(y))

    def predict(self, X):
        return X @ self.coef


def test_split_is_disjoint_seeded_and_holds_out_the_fraction():
    tr, va = split(50, 0.2, seed=3)
    assert len(va) == 10 and len(tr) == 40 and not set(tr) & set(va)
    np.testing.assert_array_equal(split(50, 0.2, seed=3)[1], va)
    with pytest.raises(ValueError, match="fraction"):
        split(10, 1.0)


def test_choose_alpha_prefers_little_ridge_on_clean_linear_data_and_refits_on_all():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((200, 5))
    y = X @ np.arange(1.0, 6.0) + 0.01 * rng.standard_normal(200)
    c = choose_alpha(_Ridge, X, y, [1e-6, 1.0, 100.0])
    assert c.alpha == 1e-6 and c.validation_mse[1e-6] < c.validation_mse[100.0]
    np.testing.assert_allclose(c.model.coef, _Ridge(X, y, 1e-6).coef)  # refitted on all 200 samples


def test_choose_alpha_prefers_strong_ridge_on_pure_noise():
    rng = np.random.default_rng(1)
    X, y = rng.standard_normal((40, 30)), rng.standard_normal(40)
    assert choose_alpha(_Ridge, X, y, [1e-8, 10.0]).alpha == 10.0
