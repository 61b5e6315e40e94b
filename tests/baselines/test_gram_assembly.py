"""Blockwise assembly equals one-shot assembly; tile-wise kernel–vector products equal K @ v."""

import numpy as np
import pytest

from featlearn.baselines import arccos_kernel_matrix, gram_blockwise, kernel_matvec


@pytest.fixture
def data():
    rng = np.random.default_rng(0)
    return rng.standard_normal((53, 4)), rng.standard_normal((29, 4)), rng.standard_normal((29, 2))


@pytest.mark.parametrize("kernel", ["ntk", "nngp"])
@pytest.mark.parametrize("block", [1, 7, 16, 53, 1000])
def test_blockwise_equals_one_shot(data, kernel, block):
    X, Y, _ = data
    K_sym = gram_blockwise(X, None, kernel, block)
    ref = arccos_kernel_matrix(X, X, kernel)
    np.testing.assert_allclose(K_sym, ref, rtol=1e-13, atol=1e-15)
    np.testing.assert_array_equal(K_sym, K_sym.T)  # both triangles filled, exactly symmetric
    assert K_sym.flags.f_contiguous
    np.testing.assert_allclose(gram_blockwise(X, Y, kernel, block), arccos_kernel_matrix(X, Y, kernel), rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize("block", [1, 10, 64])
def test_kernel_matvec_equals_dense(data, block):
    X, Y, V = data
    K = arccos_kernel_matrix(X, Y, "ntk")
    np.testing.assert_allclose(kernel_matvec(X, Y, V[:, 0], "ntk", block), K @ V[:, 0], rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(kernel_matvec(X, Y, V, "ntk", block), K @ V, rtol=1e-12, atol=1e-14)


def test_preallocated_output_and_errors(data):
    X, Y, _ = data
    out = np.zeros((53, 53))
    res = gram_blockwise(X, out=out, block_size=8)
    assert res is out
    np.testing.assert_allclose(out, arccos_kernel_matrix(X, X), rtol=1e-13, atol=1e-15)
    with pytest.raises(ValueError, match="out"):
        gram_blockwise(X, out=np.zeros((3, 3)))
    with pytest.raises(ValueError, match="block_size"):
        gram_blockwise(X, block_size=0)
    with pytest.raises(ValueError, match="columns"):
        gram_blockwise(X, Y[:, :3])
