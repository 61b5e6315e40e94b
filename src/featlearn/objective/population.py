r"""Exact population (excess) loss for Gaussian inputs (DESIGN §1.2, §1.3).

    L(θ) = ½ E_x[(f_θ(x) − f*(x))²] = ½ [aᵀK(W,W)a − 2aᵀK(W,W*)a* + a*ᵀK(W*,W*)a*]
         = ½ bᵀ K(Z, Z) b,        Z = [W; W*] ((m+m*) × d),  b = [a; −a*],

with K the closed-form kernel of the activation (`featlearn.gaussian`). Label noise adds s²/2 to the
risk, not to L.

With a linear head c + v·x, let μ(w) = E[σ(w·x)] and ℓ(w) = E[σ(w·x) x] (Hermite orders 0, 1). By
Hermite orthogonality the loss splits exactly:

    L = ½ (c + Σ_j a_j μ(w_j) − Σ_i a*_i μ(w*_i))² + ½ ‖v + Σ_j a_j ℓ(w_j) − Σ_i a*_i ℓ(w*_i)‖²
        + ½ bᵀ K_trim(Z, Z) b,

where K_trim is the kernel with orders 0 and 1 removed (for relu: μ = ‖w‖/√(2π), ℓ = w/2, and K_trim is
the `relu_trim` kernel). The head minimising L is therefore available in closed form (`optimal_head`).

Speed. For the homogeneous activations the quadratic form ½ bᵀK(Z,Z)b has a hand-written reverse-mode
rule: with c_jl the cosines, g(c) = A h(c) + B c + D and r the row norms,

    ∂/∂z_j = Σ_l b_j b_l [ (r_l / r_j)(g(c_jl) − c_jl g'(c_jl)) z_j + g'(c_jl) z_l ],   ∂/∂b = K b,

so a value-and-gradient costs two matrix products and one arccos/sqrt pass (DESIGN §5, P1). Rows with
zero norm get a zero gradient (see `featlearn.gaussian.kernels`). `population_loss_reference` is the same
loss by plain autodiff of the kernel (used for Hessians and as a cross-check).
"""

from __future__ import annotations

from functools import partial

import jax
import jax.numpy as jnp

from featlearn.gaussian.activations import get_activation
from featlearn.gaussian.quadrature import gram_quadform
from featlearn.gaussian.kernels import ArcCosCoefficients, arccos_kernel, cosine_and_norms, dh
from featlearn.model import Params


def _stack(params: Params, teacher: Params):
    Z = jnp.concatenate([params.W, teacher.W.astype(params.W.dtype)], axis=0)
    b = jnp.concatenate([params.a, -teacher.a.astype(params.a.dtype)], axis=0)
    return b, Z


def _kernel_parts(Z, coef: ArcCosCoefficients):
    r, _, _, C = cosine_and_norms(Z, Z)
    pi_minus_acos = dh(C)  # h'(c), shared by g and g' in one arccos pass
    g = coef.A * (jnp.sqrt(jnp.maximum(1.0 - C * C, 0.0)) + pi_minus_acos * C) + coef.B * C + coef.D
    dg = coef.A * pi_minus_acos + coef.B
    return r, C, g, dg


def _nonneg_quadform(x, G):
    """½ xᵀGx for a positive semidefinite G: accumulated in float64 when x64 is on (float32 inputs too),
    and at least 0 — the rounding of the O(1) terms must not make ½E[(f − f*)²] negative."""
    acc = jnp.float64 if jax.config.jax_enable_x64 else x.dtype
    value = 0.5 * jnp.einsum("j,jl,l->", x.astype(acc), G.astype(acc), x.astype(acc))
    return jnp.maximum(value, 0.0).astype(x.dtype)


@partial(jax.custom_vjp, nondiff_argnums=(2,))
def arccos_quadform(b, Z, coef: ArcCosCoefficients):
    r"""½ bᵀ K(Z, Z) b for a homogeneous kernel k = r_u r_v g(c), with a fused gradient rule."""
    r, _, g, _ = _kernel_parts(Z, coef)
    return _nonneg_quadform(b * r, g)


def _quadform_fwd(b, Z, coef):
    r, C, g, dg = _kernel_parts(Z, coef)
    br = b * r
    return _nonneg_quadform(br, g), (b, Z, r, C, g, dg)


def _quadform_bwd(coef, res, ct):
    b, Z, r, C, g, dg = res
    br = b * r
    grad_b = r * (g @ br)  # (K b)_j = r_j Σ_l g_jl r_l b_l
    pos = r > 0
    inv_r = jnp.where(pos, 1.0 / jnp.where(pos, r, 1.0), 0.0)
    s = b * inv_r * ((g - C * dg) @ br)  # Σ_l b_j b_l (r_l / r_j)(g − c g')
    M = jnp.where(pos[:, None], (b[:, None] * b[None, :]) * dg, 0.0)
    grad_Z = s[:, None] * Z + M @ Z
    return ct * grad_b, ct * grad_Z


arccos_quadform.defvjp(_quadform_fwd, _quadform_bwd)


def kernel_quadform(b, Z, activation, trimmed: bool = False):
    """½ bᵀ K(Z, Z) b with the activation's kernel (fast path for homogeneous activations)."""
    act = get_activation(activation)
    coef = act.trimmed_coef if trimmed else act.coef
    if coef is not None:
        return arccos_quadform(b, Z, coef)
    if act.quadrature:  # fused value-and-gradient of the quadrature kernel (one pass of f, f' per node pair)
        value = gram_quadform(act.fn, act.rule, b, Z)
        if trimmed:
            value = value - 0.5 * (b @ act.mean(Z)) ** 2 - 0.5 * jnp.sum((b @ act.linear(Z)) ** 2)
        return jnp.maximum(value, 0.0)
    Kfn = act.trimmed_kernel if trimmed else act.kernel
    return _nonneg_quadform(b, Kfn(Z, Z))


def head_residuals(params: Params, teacher: Params, activation):
    r"""Residuals of the Hermite orders 0 and 1 (module docstring), the head included when there is one:

        mean_res = [c] + Σ_j a_j μ(w_j) − Σ_i a*_i μ(w*_i),   lin_res = [v] + Σ_j a_j ℓ(w_j) − Σ_i a*_i ℓ(w*_i).
    """
    act = get_activation(activation)
    tact = act.teacher or act
    W_star, a_star = teacher.W.astype(params.W.dtype), teacher.a.astype(params.a.dtype)
    mean_res = params.a @ act.mean(params.W) - a_star @ tact.mean(W_star)
    lin_res = params.a @ act.linear(params.W) - a_star @ tact.linear(W_star)
    if params.has_head:
        mean_res, lin_res = params.c + mean_res, params.v + lin_res
    return mean_res, lin_res


def population_loss(params: Params, teacher: Params, activation) -> jax.Array:
    r"""Exact excess population loss L(θ) = ½ E[(f_θ − f*)²] for x ~ N(0, I_d) (module docstring).

    Args:
      params: the student `Params` (with or without a linear head).
      teacher: the teacher `Params`.
      activation: "relu", "abs", "relu_trim" or "erf".

    Returns:
      scalar L(θ) ≥ 0.

    Example:
      >>> import jax, featlearn
      >>> t = featlearn.make_teacher(4, 2, jax.random.PRNGKey(0))
      >>> float(featlearn.population_loss(t, t, "relu")) < 1e-12
      True
    """
    if get_activation(activation).teacher is not None:
        return _misspecified_loss(params, teacher, get_activation(activation))
    b, Z = _stack(params, teacher)
    if not params.has_head:
        return kernel_quadform(b, Z, activation)
    mean_res, lin_res = head_residuals(params, teacher, activation)
    return 0.5 * mean_res**2 + 0.5 * jnp.sum(lin_res**2) + kernel_quadform(b, Z, activation, trimmed=True)


def _misspecified_loss(params: Params, teacher: Params, act, *, reference: bool = False) -> jax.Array:
    r"""L for a student σ_s ≠ teacher σ_t: ½ aᵀK_s(W,W)a − aᵀK_st(W,W*)a* + ½ a*ᵀK_t(W*,W*)a* (each kernel
    with orders 0 and 1 removed when the student has a head, which then takes those orders exactly)."""
    from featlearn.gaussian.cross import cross_kernel

    tact = act.teacher
    W_star, a_star = teacher.W.astype(params.W.dtype), teacher.a.astype(params.a.dtype)
    trim = params.has_head
    student = _plain(act)
    if reference:
        Ks = (student.trimmed_kernel if trim else student.kernel)(params.W, params.W)
        own = 0.5 * params.a @ Ks @ params.a
    else:
        own = kernel_quadform(params.a, params.W, student, trimmed=trim)
    cross = params.a @ cross_kernel(student, tact, params.W, W_star, trim_all=trim) @ a_star
    Kt = (tact.trimmed_kernel if trim else tact.kernel)(W_star, W_star)
    value = own - cross + 0.5 * a_star @ Kt @ a_star
    if trim:
        mean_res, lin_res = head_residuals(params, teacher, act)
        value = value + 0.5 * mean_res**2 + 0.5 * jnp.sum(lin_res**2)
    return jnp.maximum(value, 0.0)


def _plain(act):
    """The student's own record (the pair without its teacher)."""
    import dataclasses

    return dataclasses.replace(act, name=act.name.partition("|")[0], teacher=None)


def population_loss_reference(params: Params, teacher: Params, activation, *, smooth: bool = False) -> jax.Array:
    """The same loss as `population_loss`, by plain autodiff of the kernel (supports forward mode).

    With `smooth`, the homogeneous kernels keep the derivative of the clipped cosine (see
    `featlearn.gaussian.kernels.cosine_and_norms`): the loss is twice differentiable (Hessians)."""
    act = get_activation(activation)
    if act.teacher is not None:
        return _misspecified_loss(params, teacher, act, reference=True)
    b, Z = _stack(params, teacher)
    coef = act.trimmed_coef if params.has_head else act.coef
    if smooth and coef is not None:
        K = arccos_kernel(Z, Z, coef, clip_gradient=False)
    else:
        K = (act.trimmed_kernel if params.has_head else act.kernel)(Z, Z)
    if not params.has_head:
        return 0.5 * b @ K @ b
    mean_res, lin_res = head_residuals(params, teacher, activation)
    return 0.5 * mean_res**2 + 0.5 * jnp.sum(lin_res**2) + 0.5 * b @ K @ b


def optimal_second_layer(W, teacher: Params, activation, lam, *, trimmed: bool = False) -> jax.Array:
    r"""The second layer minimising L(a, W) + (λ/2)‖a‖² for fixed W: (K(W, W) + λ I) a = K(W, W*) a*.

    With `trimmed`, the Hermite-trimmed kernel (a student whose linear head takes orders 0 and 1).
    Solved by LU (`jnp.linalg.solve`) with the ridge floored at `ridge_floor` (λ is kept as given
    unless it is below the rounding level of K); returns a (m,).
    """
    act = get_activation(activation)
    kern = act.trimmed_kernel if trimmed else act.kernel
    K = kern(W, W)
    A = K + ridge_floor(lam, K) * jnp.eye(W.shape[0], dtype=W.dtype)
    if act.teacher is not None:
        from featlearn.gaussian.cross import cross_kernel

        C = cross_kernel(_plain(act), act.teacher, W, teacher.W.astype(W.dtype), trim_all=trimmed)
    else:
        C = kern(W, teacher.W.astype(W.dtype))
    return jnp.linalg.solve(A, C @ teacher.a.astype(W.dtype))


def ridge_floor(lam, G) -> jax.Array:
    r"""The ridge actually used for (G + λ I) a = b: max(λ, p·ε·max_i G_ii) for a p × p Gram matrix G.

    p·max G_ii bounds ‖G‖, so below ε‖G‖ (ε: G's machine epsilon)
    the ridge is under the rounding error of G itself and a near-singular G (neurons nearly collinear
    after the first step) gives an arbitrarily large, cancelling a. In float64 the floor (≈ 1e-13 for
    p = 512) leaves every practical λ unchanged; in float32 it is ≈ 6e-5·max G_ii at p = 512.
    """
    p = G.shape[0]
    eps = float(jnp.finfo(G.dtype).eps)
    return jnp.maximum(jnp.asarray(lam, G.dtype), p * eps * jnp.max(jnp.diagonal(G)))


def optimal_head(params: Params, teacher: Params, activation) -> Params:
    r"""The linear head minimising the population loss: c = −(mean residual), v = −(linear residual)."""
    mean_res, lin_res = head_residuals(params.without_head(), teacher, activation)
    return params._replace(c=-mean_res, v=-lin_res)


__all__ = ["head_residuals", "optimal_second_layer", "ridge_floor", "population_loss", "population_loss_reference", "optimal_head", "kernel_quadform", "arccos_quadform"]
