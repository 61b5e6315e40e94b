r"""Plain gradient descent / momentum / Adam (optax) on L_λ with a fixed λ (DESIGN §2 "gd").

λ = 0 is the no-weight-decay ablation. In empirical mode `batch_size` gives minibatch SGD (a fresh
random minibatch of the training set at each step, drawn from the stage key and the step number).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import optax

from featlearn.config.stages import GD
from featlearn.train.iterative import Iterative, StepInfo, tree_norm
from featlearn.train.problem import STAGE0, Problem, Static, training_loss


def make_optimizer(cfg: GD) -> optax.GradientTransformation:
    if cfg.optimizer == "sgd":
        return optax.sgd(cfg.lr)
    if cfg.optimizer == "momentum":
        return optax.sgd(cfg.lr, momentum=cfg.momentum)
    return optax.adam(cfg.lr)


def build(static: Static, cfg: GD, index: int) -> Iterative:
    stage_tag = STAGE0 + index
    opt = make_optimizer(cfg)

    def step(params, state, k, problem: Problem):
        if static.mode == "empirical" and cfg.batch_size:
            key = jax.random.fold_in(jax.random.fold_in(problem.key, stage_tag), k)
            idx = jax.random.randint(key, (cfg.batch_size,), 0, problem.X.shape[0])
            problem = problem._replace(X=problem.X[idx], y=problem.y[idx])
        loss, g = jax.value_and_grad(training_loss)(params, problem, static, cfg.lam)
        updates, state = opt.update(g, state, params)
        return optax.apply_updates(params, updates), state, StepInfo(loss, tree_norm(g))

    return Iterative(total=cfg.steps, init_state=lambda params, problem: opt.init(params), step=step, lam=lambda k: jnp.asarray(cfg.lam), lr=cfg.lr)
