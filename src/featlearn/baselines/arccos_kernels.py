r"""Infinite-width two-layer ReLU kernels in closed form: NNGP and NTK (arc-cosine kernels, degree 0 and 1).

Normalisation (stated once, used everywhere in `featlearn.baselines`). The finite network is written in
the NTK parametrisation, without biases:

    f(x) = (1/√m) Σ_{j=1}^m a_j relu(w_j·x / √d),      a_j ~ N(0, 1),  w_j ~ N(0, I_d)  i.i.d.,

with trainable parameters θ = (a, W) (equivalently, pre-activations use weights w_j/√d ~ N(0, I_d/d)).
Write r = ‖x‖, r' = ‖x'‖, c = x·x'/(r r') and, as in `featlearn.gaussian`,

    h(c) = √(1 − c²) + (π − arccos c)·c.

For ρ = (w·x/√d, w·x'/√d) a centred Gaussian pair with variances r²/d, r'²/d and correlation c
(Cho & Saul 2009, arc-cosine kernels of degree 1 and 0):

    E_w[relu(w·x/√d) relu(w·x'/√d)] = (r r'/d) h(c)/(2π),     E_w[relu'(·) relu'(·)] = (π − arccos c)/(2π).

NNGP kernel (the covariance of f at initialisation, for any m):

    K(x, x') = E_{a,w}[f(x) f(x')] = r r' h(c) / (2π d).

NTK (the m → ∞ limit of ⟨∇_θ f(x), ∇_θ f(x')⟩; the a-gradients give K, the w-gradients give
E[a²] (x·x'/d) E_w[relu' relu'] with E[a²] = 1):

    Θ(x, x') = K(x, x') + (x·x'/d)(π − arccos c)/(2π) = r r' [√(1 − c²) + 2c(π − arccos c)] / (2π d).

On the diagonal K(x, x) = r²/(2d) and Θ(x, x) = r²/d, i.e. ≈ ½ and ≈ 1 for x ~ N(0, I_d). Both vanish when
x = 0 (c is then set to 0). This is the bias-free kernel of neural-tangents' `stax.serial(Dense(W_std=1),
Relu(), Dense(W_std=1))` up to the overall constant (that library uses W_std² = 2 for "He" scaling).

References: Cho & Saul, "Kernel methods for deep learning" (NeurIPS 2009); Jacot, Gabriel & Hongler,
"Neural tangent kernel" (NeurIPS 2018); Zhou & Ge (NeurIPS 2024), DESIGN §2 (ntk_krr / nngp_krr).
"""

from __future__ import annotations

import math

import numpy as np

KERNELS = ("ntk", "nngp")


def check_kernel_name(kernel: str) -> str:
    """Validate a kernel name ("ntk" or "nngp"); raises ValueError naming the valid values."""
    if kernel not in KERNELS:
        raise ValueError(f"kernel: unknown kernel {kernel!r}; valid: {', '.join(KERNELS)} (or 'precomputed' in NTKRegressor)")
    return kernel


def row_norms(X: np.ndarray) -> np.ndarray:
    """‖x_i‖ for every row of X (n, d); returns (n,)."""
    return np.sqrt(np.einsum("ij,ij->i", X, X))


def arccos_tile(Xa, Xb, ra, rb, kernel: str, out: np.ndarray, work: np.ndarray, unit_diagonal: bool = False) -> np.ndarray:
    r"""One tile K(Xa, Xb) of the NNGP or NTK kernel, written into `out` (no allocation).

    Computes c = (Xa Xbᵀ)/(r_a r_b) (0 where a norm is 0), clipped to [−1, 1], then
    NNGP: r_a r_b [√(1−c²) + c(π − arccos c)]/(2πd);  NTK: r_a r_b [√(1−c²) + 2c(π − arccos c)]/(2πd).

    Args:
      Xa: (p, d) rows; Xb: (q, d) rows (float64, C-contiguous preferred).
      ra: (p,) row norms of Xa; rb: (q,) row norms of Xb.
      kernel: "ntk" or "nngp".
      out: (p, q) float64 C-contiguous buffer receiving the tile.
      work: (p, q) float64 C-contiguous scratch buffer.
      unit_diagonal: Xa and Xb are the same points (a diagonal tile): set c_ii = 1 exactly. Rounding in
        c = 1 − ε would otherwise cost O(√ε) ≈ 1e-8 relative error on the NTK diagonal (the degree-0
        arc-cosine term π − arccos c has infinite slope at c = 1).

    Returns:
      `out`.
    """
    d = Xa.shape[1]
    np.matmul(Xa, Xb.T, out=out)
    inv_a = np.divide(1.0, ra, out=np.zeros_like(ra), where=ra > 0)
    inv_b = np.divide(1.0, rb, out=np.zeros_like(rb), where=rb > 0)
    out *= inv_a[:, None]
    out *= inv_b[None, :]
    np.clip(out, -1.0, 1.0, out=out)  # c
    if unit_diagonal:
        np.einsum("ii->i", out)[...] = np.where((ra > 0) & (rb > 0), 1.0, 0.0)
    np.arccos(out, out=work)
    np.subtract(math.pi, work, out=work)
    work *= out  # c (π − arccos c)
    if kernel == "ntk":
        work *= 2.0
    np.multiply(out, out, out=out)
    np.subtract(1.0, out, out=out)
    np.maximum(out, 0.0, out=out)
    np.sqrt(out, out=out)  # √(1 − c²)
    out += work
    out *= (ra / (2.0 * math.pi * d))[:, None]
    out *= rb[None, :]
    return out


def arccos_kernel_matrix(X, Y, kernel: str = "ntk") -> np.ndarray:
    r"""K[i, j] = k(X[i], Y[j]) for the NNGP (`kernel="nngp"`) or NTK (`"ntk"`) kernel, in one shot.

    See the module docstring for the formulas and the normalisation. Memory: two (n, q) arrays; use
    `featlearn.baselines.gram_blockwise` for large problems.

    Args:
      X: (n, d) array of inputs.
      Y: (q, d) array of inputs.
      kernel: "ntk" or "nngp".

    Returns:
      (n, q) float64 array.

    Example:
      >>> import numpy as np
      >>> x = np.array([[3.0, 4.0]])
      >>> float(arccos_kernel_matrix(x, x, "ntk")[0, 0])  # r²/d = 25/2
      12.5
    """
    check_kernel_name(kernel)
    X = np.ascontiguousarray(X, dtype=np.float64)
    Y = np.ascontiguousarray(Y, dtype=np.float64)
    if X.ndim != 2 or Y.ndim != 2 or X.shape[1] != Y.shape[1]:
        raise ValueError(f"arccos_kernel_matrix: X and Y must be 2-D with the same number of columns, got {X.shape}, {Y.shape}")
    out = np.empty((X.shape[0], Y.shape[0]))
    work = np.empty_like(out)
    same = X.shape == Y.shape and np.array_equal(X, Y)
    return arccos_tile(X, Y, row_norms(X), row_norms(Y), kernel, out, work, unit_diagonal=same)


def nngp_kernel(X, Y) -> np.ndarray:
    """NNGP kernel K(x, x') = ‖x‖‖x'‖ h(c)/(2πd) of the two-layer ReLU network (module docstring); (n, q)."""
    return arccos_kernel_matrix(X, Y, "nngp")


def ntk_kernel(X, Y) -> np.ndarray:
    """NTK Θ(x, x') = ‖x‖‖x'‖[√(1−c²) + 2c(π − arccos c)]/(2πd) of the two-layer ReLU network; (n, q)."""
    return arccos_kernel_matrix(X, Y, "ntk")
