r"""Blockwise assembly of NNGP / NTK kernel matrices with bounded memory.

The n×n Gram matrix is the only large object: it is filled tile by tile (tiles of block_size ×
block_size, computed in two reusable scratch buffers by `arccos_tile`), so the peak memory of an
assembly is one n×n float64 matrix plus O(block_size²). For a symmetric Gram matrix only the tiles on
or below the diagonal are computed (half the work); each is written to both triangles, so the upper
triangle stays an intact copy of the matrix after an in-place Cholesky of the lower one (which lets
`cholesky_inplace` retry with jitter without reassembly).

Kernel–vector products K(X, Y) v (prediction) never form K(X, Y): they are accumulated tile by tile.
"""

from __future__ import annotations

import numpy as np

from featlearn.baselines.arccos_kernels import arccos_tile, check_kernel_name, row_norms


def _as_rows(X, name: str) -> np.ndarray:
    X = np.ascontiguousarray(X, dtype=np.float64)
    if X.ndim != 2:
        raise ValueError(f"{name}: expected a 2-D array (n, d), got shape {X.shape}")
    return X


def _check_block(block_size: int) -> int:
    block_size = int(block_size)
    if block_size < 1:
        raise ValueError(f"block_size: must be a positive integer, got {block_size}")
    return block_size


def gram_blockwise(X, Y=None, kernel: str = "ntk", block_size: int = 1024, out=None) -> np.ndarray:
    r"""K[i, j] = k(X[i], Y[j]) assembled in tiles (NNGP or NTK kernel, see `arccos_kernels`).

    Args:
      X: (n, d) inputs.
      Y: (q, d) inputs, or None for the symmetric Gram matrix K(X, X) (only tiles on or below the
        diagonal are computed; both triangles are filled).
      kernel: "ntk" or "nngp".
      block_size: tile edge; extra memory is 2·block_size² float64 besides the output.
      out: optional preallocated float64 (n, q) output array (any memory order); for the symmetric case
        the default output is Fortran-ordered, which LAPACK factors in place.

    Returns:
      The (n, q) (or (n, n)) float64 matrix `out`.

    Example:
      >>> import numpy as np
      >>> X = np.random.default_rng(0).standard_normal((10, 3))
      >>> K = gram_blockwise(X, block_size=4)
      >>> bool(np.allclose(K, K.T))
      True
    """
    check_kernel_name(kernel)
    block_size = _check_block(block_size)
    X = _as_rows(X, "X")
    sym = Y is None
    Y = X if sym else _as_rows(Y, "Y")
    if X.shape[1] != Y.shape[1]:
        raise ValueError(f"gram_blockwise: X has {X.shape[1]} columns but Y has {Y.shape[1]}")
    n, q = X.shape[0], Y.shape[0]
    if out is None:
        out = np.empty((n, q), dtype=np.float64, order="F" if sym else "C")
    elif out.shape != (n, q) or out.dtype != np.float64:
        raise ValueError(f"out: expected a float64 array of shape {(n, q)}, got {out.dtype} {out.shape}")
    rx, ry = row_norms(X), (None if sym else row_norms(Y))
    ry = rx if sym else ry
    b = min(block_size, max(n, q, 1))
    tile, work = np.empty((b, b)), np.empty((b, b))
    for i0 in range(0, n, b):
        i1 = min(i0 + b, n)
        for j0 in range(0, (i1 if sym else q), b):
            j1 = min(j0 + b, q)
            t = arccos_tile(X[i0:i1], Y[j0:j1], rx[i0:i1], ry[j0:j1], kernel,
                            tile[: i1 - i0, : j1 - j0], work[: i1 - i0, : j1 - j0], unit_diagonal=sym and i0 == j0)
            if sym and j0 == i0:  # diagonal tile: keep its lower triangle, mirror it (exact symmetry)
                out[i0:i1, j0:j1] = np.tril(t) + np.tril(t, -1).T
            else:
                out[i0:i1, j0:j1] = t
                if sym:
                    out[j0:j1, i0:i1] = t.T
    return out


def kernel_matvec(X, Y, v, kernel: str = "ntk", block_size: int = 1024) -> np.ndarray:
    r"""K(X, Y) v without forming K(X, Y): Σ over tiles, memory O(block_size²).

    Args:
      X: (p, d) inputs (e.g. test points).
      Y: (n, d) inputs (e.g. training points).
      v: (n,) or (n, k) coefficients (e.g. dual coefficients).
      kernel: "ntk" or "nngp".
      block_size: tile edge.

    Returns:
      (p,) or (p, k) float64 array.
    """
    check_kernel_name(kernel)
    block_size = _check_block(block_size)
    X, Y = _as_rows(X, "X"), _as_rows(Y, "Y")
    v = np.asarray(v, dtype=np.float64)
    if v.shape[0] != Y.shape[0] or X.shape[1] != Y.shape[1]:
        raise ValueError(f"kernel_matvec: shapes X {X.shape}, Y {Y.shape}, v {v.shape} do not match")
    p, n = X.shape[0], Y.shape[0]
    rx, ry = row_norms(X), row_norms(Y)
    b = min(block_size, max(p, n, 1))
    tile, work = np.empty((b, b)), np.empty((b, b))
    res = np.zeros((p,) + v.shape[1:])
    for i0 in range(0, p, b):
        i1 = min(i0 + b, p)
        for j0 in range(0, n, b):
            j1 = min(j0 + b, n)
            t = arccos_tile(X[i0:i1], Y[j0:j1], rx[i0:i1], ry[j0:j1], kernel,
                            tile[: i1 - i0, : j1 - j0], work[: i1 - i0, : j1 - j0])
            res[i0:i1] += t @ v[j0:j1]
    return res
