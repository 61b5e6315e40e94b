r"""Plain gradient descent / momentum / Adam (optax) on L_λ with a fixed λ (DESIGN §2 "gd").

λ = 0 is the no-weight-decay ablation. In empirical mode `batch_size` gives minibatch SGD (a fresh
random minibatch of the training set at each step, drawn from the stage key and the step number).
`lr: auto` (the default): for sgd and momentum, the step from the curvature of L_λ at the stage start
(`featlearn.train.stepsize`), halved whenever the full-batch objective rises; for adam, 1e-3 (Adam
normalises its steps, so the curvature does not set them).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import optax

from featlearn.config.stages import GD
from featlearn.train import stepsize
from featlearn.train.iterative import Iterative, StepInfo, tree_norm
from featlearn.train.problem import STAGE0, Problem, Static, smooth_training_loss, training_loss


ADAM_AUTO_LR = 1e-3


def make_optimizer(cfg: GD, lr=None) -> optax.GradientTransformation:
    lr = cfg.lr if lr is None else lr
    if cfg.optimizer == "sgd":
        return optax.sgd(lr)
    if cfg.optimizer == "momentum":
        return optax.sgd(lr, momentum=cfg.momentum)
    return optax.adam(ADAM_AUTO_LR if lr == "auto" else lr)


def build(static: Static, cfg: GD, index: int) -> Iterative:
    stage_tag = STAGE0 + index
    auto = cfg.lr == "auto" and cfg.optimizer != "adam"
    opt = make_optimizer(cfg, 1.0 if auto else None)  # auto: unit-step optimizer, scaled by the state's lr
    lam = lambda k: jnp.asarray(cfg.lam)  # noqa: E731

    def minibatch(problem, k):
        if static.mode == "empirical" and cfg.batch_size:
            key = jax.random.fold_in(jax.random.fold_in(problem.key, stage_tag), k)
            idx = jax.random.randint(key, (cfg.batch_size,), 0, problem.X.shape[0])
            return problem._replace(X=problem.X[idx], y=problem.y[idx])
        return problem

    def init_state(params, problem: Problem):
        if not auto:
            return opt.init(params)
        return opt.init(params), stepsize.placeholder(params.a.dtype)  # estimated by `refresh` before the first step

    def refresh(params, state, k, problem: Problem):
        return state[0], stepsize.fresh(lambda p: smooth_training_loss(p, problem, static, cfg.lam), params)

    def step(params, state, k, problem: Problem):
        loss, g = jax.value_and_grad(training_loss)(params, minibatch(problem, k), static, cfg.lam)
        if not auto:
            with jax.numpy_dtype_promotion("standard"):  # optax's Adam mixes its int32 count with float betas
                updates, state = opt.update(g, state, params)
            return optax.apply_updates(params, updates), state, StepInfo(loss, tree_norm(g))
        opt_state, lr_state = state
        if not (static.mode == "empirical" and cfg.batch_size):  # backtrack on the full-batch objective only
            lr_state = stepsize.backtrack(lr_state, loss)
        with jax.numpy_dtype_promotion("standard"):
            updates, opt_state = opt.update(g, opt_state, params)
        updates = jax.tree.map(lambda u: lr_state.lr * u, updates)
        return optax.apply_updates(params, updates), (opt_state, lr_state), StepInfo(loss, tree_norm(g))

    if not auto:
        fixed = ADAM_AUTO_LR if cfg.lr == "auto" else cfg.lr
        return Iterative(total=cfg.steps, init_state=init_state, step=step, lam=lam, lr=fixed)
    return Iterative(total=cfg.steps, init_state=init_state, step=step, lam=lam, refresh=refresh, refresh_every=cfg.steps,
                     lr_of=lambda state: state[1].lr)
