"""Kernel and random-features baselines (DESIGN §2): rf_ridge, ntk_krr, nngp_krr, Monte-Carlo test risk.

Normalisations (details in each module):
* NNGP / NTK of f(x) = (1/√m) Σ a_j relu(w_j·x/√d), a_j, w_j standard Gaussian (NTK parametrisation, no
  bias): K(x, x') = ‖x‖‖x'‖ h(c)/(2πd), Θ(x, x') = ‖x‖‖x'‖[√(1−c²) + 2c(π − arccos c)]/(2πd).
* `NTKRegressor.alpha`: scikit-learn KernelRidge convention, β = (K + αI)⁻¹y.
* `RandomFeaturesRidge.alpha` and `rf_ridge_*`'s λ: mean-normalised, (ΦᵀΦ/n + λI) a = Φᵀy/n, whose
  population limit is (K(W,W) + λI) a = K(W,W*) a*.
* risks are ½E[(f̂ − f*)²], as `featlearn.population_loss`.
"""

from featlearn.baselines._estimator import NotFittedError
from featlearn.baselines.arccos_kernels import arccos_kernel_matrix, nngp_kernel, ntk_kernel
from featlearn.baselines.cholesky import CholeskyFactor, cholesky_inplace, cholesky_solve
from featlearn.baselines.gram import gram_blockwise, kernel_matvec
from featlearn.baselines.krr import NTKRegressor, nngp_krr, ntk_krr
from featlearn.baselines.random_features import (
    RandomFeaturesRidge,
    random_directions,
    rf_features,
    rf_ridge,
    rf_ridge_empirical,
    rf_ridge_population,
)
from featlearn.baselines.risk import MCRisk, mc_test_risk
from featlearn.baselines.validation import Choice, choose_alpha

__all__ = [
    "CholeskyFactor",
    "Choice",
    "MCRisk",
    "NTKRegressor",
    "NotFittedError",
    "RandomFeaturesRidge",
    "arccos_kernel_matrix",
    "cholesky_inplace",
    "cholesky_solve",
    "choose_alpha",
    "gram_blockwise",
    "kernel_matvec",
    "mc_test_risk",
    "nngp_kernel",
    "nngp_krr",
    "ntk_kernel",
    "ntk_krr",
    "random_directions",
    "rf_features",
    "rf_ridge",
    "rf_ridge_empirical",
    "rf_ridge_population",
]
