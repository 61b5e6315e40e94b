"""Quadrature kernels of any activation (DESIGN §7.5) against independent references: Monte Carlo in
full dimension (2e6 samples, 4σ), the closed forms where they exist (erf; Hermite polynomials at unit
norm: E[He_j(g1) He_k(g2)] = δ_jk k! c^k), central finite differences for gradients and Hessians, and
finite values and derivatives at coincident, antipodal and zero-norm neurons."""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import featlearn
from featlearn.gaussian import quadrature as Q
from featlearn.gaussian.activations import get_activation, quadrature_activation
from featlearn.gaussian.kernels import erf_kernel

QUAD = ["tanh", "gelu", "softplus", "sigmoid", "silu", "he2", "he3", "he4"]
NUMPY_SIGMA = {  # independent numpy definitions (DESIGN §7.5), not the package's JAX functions
    "tanh": np.tanh,
    "gelu": lambda z: z * 0.5 * (1.0 + np.vectorize(math.erf)(z / math.sqrt(2.0))) if np.ndim(z) == 0 else z * 0.5 * (1.0 + _erf_np(z / math.sqrt(2.0))),
    "softplus": lambda z: np.logaddexp(0.0, z),
    "sigmoid": lambda z: 1.0 / (1.0 + np.exp(-z)),
    "silu": lambda z: z / (1.0 + np.exp(-z)),
    "he2": lambda z: z**2 - 1.0,
    "he3": lambda z: z**3 - 3.0 * z,
    "he4": lambda z: z**4 - 6.0 * z**2 + 3.0,
}


def _erf_np(z):
    from scipy.special import erf

    return erf(z)


def _pairs(seed: int, d: int, count: int = 30):
    """(u, v) of norms in [0.3, 1.6] at angles from 0 to 180° (exactly coincident and antipodal included)."""
    rng = np.random.default_rng(seed)
    out = []
    for i in range(count):
        u = rng.normal(size=d)
        u *= rng.uniform(0.3, 1.6) / np.linalg.norm(u)
        t = rng.normal(size=d)
        t -= (t @ u) / (u @ u) * u
        t /= np.linalg.norm(t)
        phi = [0.0, np.pi][i] if i < 2 else rng.uniform(0, np.pi)
        v = (np.cos(phi) * u / np.linalg.norm(u) + np.sin(phi) * t) * rng.uniform(0.3, 1.6)
        out.append((u, v))
    return out


def _k(act, u, v):
    return float(featlearn.kernel(act, jnp.asarray(u[None]), jnp.asarray(v[None]))[0, 0])


@pytest.mark.parametrize("act", QUAD)
def test_kernel_matches_monte_carlo_within_4_sigma(act):
    d, n = 4, 2_000_000
    X = np.random.default_rng(11).standard_normal((n, d))
    f = NUMPY_SIGMA[act]
    for u, v in _pairs(3, d):
        prod = f(X @ u) * f(X @ v)
        mean, se = prod.mean(), prod.std() / math.sqrt(n)
        assert abs(_k(act, u, v) - mean) <= 4 * se + 1e-12, (act, u, v, _k(act, u, v), mean, se)


def test_erf_by_quadrature_matches_its_closed_form():
    act = quadrature_activation(lambda z: jax.scipy.special.erf(z / math.sqrt(2.0)), "erf_by_quadrature", odd=True)
    for u, v in _pairs(4, 5):
        got = float(act.kernel(jnp.asarray(u[None]), jnp.asarray(v[None]))[0, 0])
        want = float(erf_kernel(jnp.asarray(u[None]), jnp.asarray(v[None]))[0, 0])
        assert abs(got - want) <= 1e-10, (u, v, got, want)


@pytest.mark.parametrize("j", [2, 3, 4])
@pytest.mark.parametrize("k", [2, 3, 4])
def test_hermite_kernels_at_unit_norm_are_k_factorial_c_to_the_k(j, k):
    rng = np.random.default_rng(5)
    for _ in range(10):
        u, v = rng.normal(size=6), rng.normal(size=6)
        u, v = u / np.linalg.norm(u), v / np.linalg.norm(v)
        c = u @ v
        fj, fk = get_activation(f"he{j}").fn, get_activation(f"he{k}").fn
        got = float(Q.gauss_kernel(fj, fk, jnp.asarray(u[None]), jnp.asarray(v[None]), Q.Rule(5, "hermite"))[0, 0])
        want = math.factorial(k) * c**k if j == k else 0.0
        assert abs(got - want) <= 1e-12, (j, k, got, want)


def test_hermite_target_is_the_normalised_series():
    """{hermite: [c0, c1, c2, c3]}: σ = Σ c_k He_k/√k!, so E[σ(z)²] = Σ c_k² and k(u, u') = Σ c_k² c^k."""
    cs = [0.3, -0.5, 0.8, 0.4]
    act = get_activation(featlearn.gaussian.activations.hermite_name(cs))
    u = np.array([1.0, 0.0, 0.0])
    v = np.array([0.6, 0.8, 0.0])
    assert _k(act.name, u, u) == pytest.approx(sum(c * c for c in cs), abs=1e-13)
    assert _k(act.name, u, v) == pytest.approx(sum(c * c * 0.6**k for k, c in enumerate(cs)), abs=1e-13)
    z = np.linspace(-2, 2, 7)
    want = cs[0] + cs[1] * z + cs[2] * (z**2 - 1) / math.sqrt(2) + cs[3] * (z**3 - 3 * z) / math.sqrt(6)
    np.testing.assert_allclose(np.asarray(act.fn(jnp.asarray(z))), want, atol=1e-14)


def _fd_grad(fun, x, h=1e-5):
    g = np.zeros_like(x)
    for i in range(x.size):
        e = np.zeros_like(x)
        e.flat[i] = h
        g.flat[i] = (fun(x + e) - fun(x - e)) / (2 * h)
    return g


@pytest.mark.parametrize("act", QUAD)
def test_gradients_match_finite_differences_including_c_pm1_and_zero_norm(act):
    pairs = _pairs(6, 3, count=6)
    u0 = pairs[2][0]
    pairs += [(u0, 1.3 * u0), (u0, -0.7 * u0), (np.zeros(3), pairs[3][1])]  # c = +1, c = −1, u = 0
    for u, v in pairs:
        fun = lambda x: _k(act, x, v)  # noqa: E731
        g = np.asarray(jax.grad(lambda x: featlearn.kernel(act, x[None], jnp.asarray(v[None]))[0, 0])(jnp.asarray(u)))
        assert np.all(np.isfinite(g))
        np.testing.assert_allclose(g, _fd_grad(fun, u), rtol=0, atol=1e-6, err_msg=f"{act} u={u} v={v}")


@pytest.mark.parametrize("act", ["tanh", "softplus", "he3"])
def test_hessians_are_finite_and_match_finite_differences_of_the_gradient(act):
    pairs = _pairs(8, 3, count=3)
    u0 = pairs[2][0]
    pairs += [(u0, 1.3 * u0), (u0, -0.7 * u0), (np.zeros(3), pairs[1][1])]
    for u, v in pairs:
        grad = jax.grad(lambda x: featlearn.kernel(act, x[None], jnp.asarray(v[None]))[0, 0])
        H = np.asarray(jax.hessian(lambda x: featlearn.kernel(act, x[None], jnp.asarray(v[None]))[0, 0])(jnp.asarray(u)))
        assert np.all(np.isfinite(H))
        h = 1e-5
        fd = np.stack([(np.asarray(grad(jnp.asarray(u + h * e))) - np.asarray(grad(jnp.asarray(u - h * e)))) / (2 * h) for e in np.eye(3)])
        # second-order Price moments (E[σ''σ''] …) carry the rule's error at a larger constant than the
        # value: 2e-6 for tanh at c = 1, ‖u‖ = 1.4 with 64 nodes
        np.testing.assert_allclose(H, fd, rtol=0, atol=1e-5, err_msg=f"{act} u={u} v={v}")


@pytest.mark.parametrize("act", ["tanh", "gelu", "he4"])
def test_fused_quadform_gradient_equals_autodiff_of_the_kernel(act):
    a = get_activation(act)
    rng = np.random.default_rng(9)
    Z = jnp.asarray(rng.normal(size=(7, 4)) * 0.5)
    Z = Z.at[3].set(Z[1]).at[4].set(-Z[2]).at[5].set(0.0)
    b = jnp.asarray(rng.normal(size=7))
    fused = jax.grad(lambda b, Z: Q.gram_quadform(a.fn, a.rule, b, Z), (0, 1))(b, Z)
    plain = jax.grad(lambda b, Z: 0.5 * b @ a.kernel(Z, Z) @ b, (0, 1))(b, Z)
    # equal up to the rule's error: the fused rule takes E[f(g_q) f''(g_p)] as E20ᵀ (f'' on the outer
    # variable), the plain one puts f'' on the inner variable (1.4e-8 for tanh at norms up to 2, 64 nodes)
    for x, y in zip(fused, plain):
        np.testing.assert_allclose(np.asarray(x), np.asarray(y), rtol=1e-7, atol=1e-10)


def test_a_python_callable_works_as_an_activation():
    act = quadrature_activation(lambda z: jnp.cos(z), "cosine", even=True)
    u = np.array([0.7, 0.2])
    # E[cos(g1) cos(g2)] = ½ e^{−(A+B)/2} (e^{−R} + e^{R}) in closed form
    v = np.array([-0.3, 0.9])
    A, B, R = u @ u, v @ v, u @ v
    want = 0.5 * math.exp(-(A + B) / 2) * (math.exp(-R) + math.exp(R))
    assert float(act.kernel(jnp.asarray(u[None]), jnp.asarray(v[None]))[0, 0]) == pytest.approx(want, abs=1e-14)


def test_rule_node_counts_are_checked():
    with pytest.raises(ValueError, match="nodes"):
        Q.rule(0, "trapezoid")
    with pytest.raises(ValueError, match="rule"):
        Q.rule(10, "simpson")
