r"""Random-features ridge regression (the `rf_ridge` baseline of DESIGN §2).

m directions w_j are drawn uniformly on the unit sphere and kept fixed; only the second layer a of the
network f(x) = Σ_j a_j σ(w_j·x) is fitted, by ridge with the mean-normalised loss of DESIGN §1.2:

    population:  a = argmin_a ½ E[(f − f*)²] + (λ/2)‖a‖²   ⇔   (K(W, W) + λ I) a = K(W, W*) a*,
    empirical:   a = argmin_a (1/2n) Σ_i (f(x_i) − y_i)² + (λ/2)‖a‖²   ⇔   (ΦᵀΦ/n + λ I) a = Φᵀy/n,

with K the closed-form Gaussian kernel (`featlearn.kernel`) and Φ_ij = σ(w_j·x_i). The two agree as
n → ∞ at the same λ (this is the `fit_second_layer` closed form of DESIGN §2.2). The fitted model is a
network, so its excess risk is exact: `featlearn.population_loss(Params(a, W), teacher, activation)`.
Note that α of `RandomFeaturesRidge` is this λ (mean-normalised), unlike `NTKRegressor.alpha`, which
follows scikit-learn's KernelRidge (α = nλ).
"""

from __future__ import annotations

from functools import partial

import jax
import jax.numpy as jnp
import numpy as np

from featlearn.baselines._estimator import BaseEstimator, check_is_fitted, check_X_y
from featlearn.baselines.cholesky import cholesky_inplace, cholesky_solve
from featlearn.data import sample_data
from featlearn.gaussian import get_activation, unit_rows
from featlearn.model import Params, features
from featlearn.objective import optimal_second_layer, population_loss


@partial(jax.jit, static_argnames=("m", "d", "dtype"))
def random_directions(m: int, d: int, key, dtype=jnp.float64) -> jax.Array:
    """(m, d) directions drawn uniformly on the unit sphere S^{d−1} (normalised Gaussian rows)."""
    return unit_rows(jax.random.normal(key, (m, d), dtype))


@partial(jax.jit, static_argnames=("activation",))
def rf_ridge_population(W, teacher: Params, activation, lam) -> Params:
    r"""Exact population ridge for the second layer: (K(W, W) + λ I) a = K(W, W*) a*.

    Pure JAX, jitted (activation static) and vmap-able; the solve is `featlearn.objective.optimal_second_layer`
    (the same one stage 2.2 uses).

    Args:
      W: (m, d) fixed first layer.
      teacher: the teacher `Params` (a* (m*,), W* (m*, d)).
      activation: activation name.
      lam: ridge λ (mean-normalised, DESIGN §2.2).

    Returns:
      `Params(a, W)` with a (m,).

    Example:
      >>> import jax, featlearn
      >>> t = featlearn.make_teacher(4, 2, jax.random.PRNGKey(0))
      >>> p = rf_ridge_population(t.W, t, "relu", 1e-9)   # features = the teacher's directions
      >>> float(featlearn.population_loss(p, t, "relu")) < 1e-12
      True
    """
    W = jnp.asarray(W)
    return Params(optimal_second_layer(W, teacher, activation, lam), W)


@partial(jax.jit, static_argnames=("activation",))
def _features(W, X, activation):
    return features(X, W, activation)


_population_loss = jax.jit(population_loss, static_argnames=("activation",))


def rf_features(W, X, activation) -> np.ndarray:
    """Φ_ij = σ(w_j·x_i) for X (n, d) and W (m, d); returns (n, m) float64 numpy."""
    return np.asarray(_features(jnp.asarray(W, jnp.float64), jnp.asarray(X, jnp.float64), activation))


def rf_ridge_empirical(W, X, y, activation, lam: float, *, block_size: int = 8192) -> Params:
    r"""Ridge on random features: (ΦᵀΦ/n + λ I) a = Φᵀy/n, Φ accumulated in row blocks (memory O(block·m + m²)).

    Args:
      W: (m, d) fixed first layer.
      X: (n, d) inputs; y: (n,) targets.
      activation: activation name.
      lam: ridge λ ≥ 0 (mean-normalised; same λ as `rf_ridge_population`).
      block_size: rows of Φ formed at a time.

    Returns:
      `Params(a, W)` with a (m,) (jax arrays).
    """
    X, y = check_X_y(X, y)
    W = np.asarray(W, np.float64)
    n, m = X.shape[0], W.shape[0]
    gram, rhs = np.zeros((m, m), order="F"), np.zeros(m)
    for i0 in range(0, n, block_size):
        phi = rf_features(W, X[i0 : i0 + block_size], activation)
        gram += phi.T @ phi
        rhs += phi.T @ y[i0 : i0 + block_size]
    gram /= n
    a = cholesky_solve(cholesky_inplace(gram, float(lam)), rhs / n)
    return Params(jnp.asarray(a), jnp.asarray(W))


def rf_ridge(key, m: int, teacher: Params, activation, lam: float, *, n: int | None = None, noise_std: float = 0.0) -> Params:
    """The rf_ridge baseline in one call: m random directions from `key`, second layer by ridge.

    Population mode (n None) uses `rf_ridge_population`; empirical mode draws n fresh samples of the
    teacher (labels with noise `noise_std`) and uses `rf_ridge_empirical`. Returns `Params(a, W)`.
    """
    k_w, k_data = jax.random.split(key)
    W = random_directions(m, teacher.W.shape[-1], k_w)
    if n is None:
        return rf_ridge_population(W, teacher, activation, lam)
    X, y = sample_data(teacher, activation, n, k_data, noise_std)
    return rf_ridge_empirical(W, np.asarray(X), np.asarray(y), activation, lam)


class RandomFeaturesRidge(BaseEstimator):
    r"""Random-features ridge regressor f(x) = Σ_j a_j σ(w_j·x) (scikit-learn estimator API).

    `fit(X, y)` draws W_ (n_features uniform unit directions, from `seed`) and solves the empirical
    ridge; `fit_population(teacher)` solves the exact population ridge instead. See the module docstring.

    Args:
      n_features: m, the number of random directions.
      alpha: ridge λ of the mean-normalised objective (1/2n)Σ(f − y)² + (λ/2)‖a‖².
      activation: "relu", "abs", "relu_trim" or "erf".
      seed: integer seed of the directions (`jax.random.PRNGKey(seed)`).
      block_size: rows of the feature matrix formed at a time.

    Attributes (after fit):
      W_: (m, d) directions; coef_: (m,) second layer a; n_features_in_: d.

    Example:
      >>> import jax, numpy as np, featlearn
      >>> t = featlearn.make_teacher(5, 2, jax.random.PRNGKey(0))
      >>> X, y = featlearn.sample_data(t, "relu", 2000, jax.random.PRNGKey(1))
      >>> rf = RandomFeaturesRidge(n_features=50, alpha=1e-4).fit(np.asarray(X), np.asarray(y))
      >>> rf.population_excess_loss(t) < 0.5 * float(featlearn.population_loss(featlearn.Params(t.a * 0, t.W), t, "relu"))
      True
    """

    def __init__(
        self, n_features: int = 100, alpha: float = 1e-3, activation: str = "relu", seed: int = 0, block_size: int = 8192
    ):
        self.n_features = n_features
        self.alpha = alpha
        self.activation = activation
        self.seed = seed
        self.block_size = block_size

    def _directions(self, d: int) -> np.ndarray:
        get_activation(self.activation)  # validates the name
        if int(self.n_features) < 1:
            raise ValueError(f"n_features: must be ≥ 1, got {self.n_features}")
        return np.asarray(random_directions(int(self.n_features), d, jax.random.PRNGKey(self.seed)))

    def fit(self, X, y) -> "RandomFeaturesRidge":
        """Empirical ridge on X (n, d), y (n,). Returns self."""
        X, y = check_X_y(X, y)
        W = self._directions(X.shape[1])
        p = rf_ridge_empirical(W, X, y, self.activation, float(self.alpha), block_size=int(self.block_size))
        self.W_, self.coef_, self.n_features_in_ = W, np.asarray(p.a), X.shape[1]
        return self

    def fit_population(self, teacher: Params) -> "RandomFeaturesRidge":
        """Exact population ridge against `teacher` (no samples). Returns self."""
        W = self._directions(teacher.W.shape[-1])
        p = rf_ridge_population(jnp.asarray(W), teacher, self.activation, float(self.alpha))
        self.W_, self.coef_, self.n_features_in_ = W, np.asarray(p.a), W.shape[1]
        return self

    @property
    def params_(self) -> Params:
        """The fitted network `Params(coef_, W_)`."""
        check_is_fitted(self, "coef_")
        return Params(jnp.asarray(self.coef_), jnp.asarray(self.W_))

    def predict(self, X) -> np.ndarray:
        """f(x) = Σ_j a_j σ(w_j·x) for X (p, d); returns (p,)."""
        check_is_fitted(self, "coef_")
        X = np.asarray(X, np.float64)
        if X.ndim != 2 or X.shape[1] != self.n_features_in_:
            raise ValueError(f"X: expected shape (p, {self.n_features_in_}), got {X.shape}")
        bs = int(self.block_size)
        blocks = [rf_features(self.W_, X[i : i + bs], self.activation) @ self.coef_ for i in range(0, X.shape[0], bs)]
        return np.concatenate(blocks) if blocks else np.zeros(0)

    def population_excess_loss(self, teacher: Params) -> float:
        """Exact excess risk ½E[(f − f*)²] = `featlearn.population_loss(params_, teacher, activation)`."""
        return float(_population_loss(self.params_, teacher, activation=self.activation))
