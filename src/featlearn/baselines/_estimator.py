"""Minimal scikit-learn estimator conventions without depending on scikit-learn (STYLE 13).

`__init__` only stores its arguments, `get_params` / `set_params` read them back from the signature,
fitted attributes end in ``_``, and `check_is_fitted` raises `NotFittedError` (a ValueError and an
AttributeError, as in scikit-learn) with a message that says what to call.
"""

from __future__ import annotations

import inspect

import numpy as np


class NotFittedError(ValueError, AttributeError):
    """Raised when `predict` (or another fitted-only method) is called before `fit`."""


class BaseEstimator:
    """get_params / set_params / repr from the ``__init__`` signature (as `sklearn.base.BaseEstimator`)."""

    @classmethod
    def _param_names(cls) -> list[str]:
        sig = inspect.signature(cls.__init__)
        return [p.name for p in sig.parameters.values() if p.name != "self" and p.kind != p.VAR_KEYWORD]

    def get_params(self, deep: bool = True) -> dict:
        """The constructor arguments as a dict."""
        return {name: getattr(self, name) for name in self._param_names()}

    def set_params(self, **params):
        """Set constructor arguments; unknown names raise ValueError naming the valid ones. Returns self."""
        valid = self._param_names()
        for name, value in params.items():
            if name not in valid:
                raise ValueError(f"{type(self).__name__}.set_params: unknown parameter {name!r}; valid: {', '.join(valid)}")
            setattr(self, name, value)
        return self

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"{type(self).__name__}({args})"


def check_is_fitted(estimator, attribute: str) -> None:
    """Raise `NotFittedError` if `estimator` has no fitted attribute `attribute`."""
    if not hasattr(estimator, attribute):
        raise NotFittedError(
            f"This {type(estimator).__name__} instance is not fitted yet; call 'fit' with appropriate arguments "
            "before using this method."
        )


def check_X_y(X, y) -> tuple[np.ndarray, np.ndarray]:
    """float64 arrays X (n, d) and y (n,) or (n, k) with matching n and finite values."""
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    if X.ndim != 2:
        raise ValueError(f"X: expected a 2-D array (n_samples, n_features), got shape {X.shape}")
    if y.ndim not in (1, 2) or y.shape[0] != X.shape[0]:
        raise ValueError(f"y: expected shape ({X.shape[0]},) or ({X.shape[0]}, k) to match X, got {y.shape}")
    if not (np.isfinite(X).all() and np.isfinite(y).all()):
        raise ValueError("X, y: inputs contain NaN or infinity")
    return X, y
