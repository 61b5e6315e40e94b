"""The stage registry (DESIGN §7.1): one table kind → `StageSpec`.

A stage kind is its config model (a frozen pydantic model with a `kind` literal), its builder (the
function that turns the config into what the training loop runs, in `featlearn.train.stages`), how it
sets the weight decay λ, and the data modes it supports. The schema's stage validation, the run's
dispatch, the summary's λ, the docs list and the conformance tests all read this table.

Adding a stage kind: a config model and one `StageSpec` line here, and a builder module
`featlearn/train/stages/<kind>.py` with `build(static, stage, index)`. From Python (no file in the
package), `register_stage(StageSpec(kind_config, build=callable))` does the same at run time.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Callable, Literal, Optional, Union

from pydantic import Field

from featlearn.config.base import LearningRate, NonNegFloat, PosFloat, PosInt, Strict
from featlearn.config.kinds import KindTable

MODES = ("population", "empirical")


class OneStep(Strict):
    """Early-stage feature learning: W ← −η ∇_W L(θ₀) (weight decay 1/η), rows normalised."""

    kind: Literal["one_step"] = "one_step"
    eta: PosFloat = 1.0
    normalize: bool = True
    n: Optional[PosInt] = None


class FitSecondLayer(Strict):
    """a = argmin L(a, W) + (λ₂/2)‖a‖² in closed form, then optional balancing."""

    kind: Literal["fit_second_layer"] = "fit_second_layer"
    lam: NonNegFloat = 1e-6
    balance: bool = True
    threshold: PosFloat = 1e-2
    n: Optional[PosInt] = None


class AnnealWeightDecay(Strict):
    """Full-batch GD on L_λ with λ_k = lam0·factor^k for epochs k = 0..epochs−1."""

    kind: Literal["anneal_weight_decay"] = "anneal_weight_decay"
    lam0: PosFloat = 1e-3
    factor: Annotated[float, Field(gt=0, le=1)] = 0.7
    epochs: PosInt = 16
    steps_per_epoch: PosInt = 2000
    lr: LearningRate = "auto"  # from the curvature of L_λ at every epoch start (featlearn.train.stepsize); a number: fixed
    balance: bool = True
    tol: NonNegFloat = 1e-3  # an epoch ends once ‖∇L_λ‖ ≤ tol·λ (0 and rtol 0: every epoch runs all its steps)
    rtol: NonNegFloat = 1e-10  # ... or once L_λ stalls: relative change per step ≤ rtol between chunks (0: off)
    target_loss: Optional[PosFloat] = None


class GD(Strict):
    """Plain GD / momentum / Adam (optax) on L_λ with a fixed λ (λ = 0: no weight decay)."""

    kind: Literal["gd"] = "gd"
    optimizer: Literal["sgd", "momentum", "adam"] = "sgd"
    lr: LearningRate = "auto"
    lam: NonNegFloat = 0.0
    steps: PosInt = 1000
    momentum: Annotated[float, Field(ge=0, lt=1)] = 0.9
    batch_size: Optional[PosInt] = None


class Lazy(Strict):
    """GD on the model linearised at its initialisation (NTK regime); exact in population mode."""

    kind: Literal["lazy"] = "lazy"
    lr: LearningRate = "auto"
    lam: NonNegFloat = 0.0
    steps: PosInt = 1000


class GradientFlow(Strict):
    """Gradient flow dθ/dt = −∇L_λ(θ) (diffrax, adaptive), λ_k = lam0·factor^k for epochs k (factor 1: fixed λ)."""

    kind: Literal["gradient_flow"] = "gradient_flow"
    lam0: NonNegFloat = 1e-3
    factor: Annotated[float, Field(gt=0, le=1)] = 0.7
    epochs: PosInt = 16
    steps_per_epoch: PosInt = 100  # logged intervals per epoch: each integrates the flow over time `dt`
    dt: PosFloat = 40.0  # flow time per interval (GD with step size lr covers time lr per step)
    solver: Literal["tsit5", "dopri5"] = "tsit5"  # explicit, adaptive (no implicit solver yet: see gradient_flow.py)
    rtol: PosFloat = 1e-7
    atol: PosFloat = 1e-10
    max_solver_steps: PosInt = 20000  # per interval; more: the interval fails and the run says so


class Polish(Strict):
    """Newton's method on L_λ (population loss) from the current point to a critical point: ‖∇L_λ‖ ≤ tol."""

    kind: Literal["polish"] = "polish"
    lam: Optional[NonNegFloat] = None  # None: the λ the stages before it end with (0 when none sets one)
    tol: PosFloat = 1e-12
    max_iter: PosInt = 40


def _no_lambda(stage) -> Optional[float]:
    return None


@dataclass(frozen=True)
class StageSpec:
    """One stage kind.

    Attributes:
      config: the stage's config model (its `kind` field's default is the kind's name).
      build: `build(static, stage, index)` → an `Iterative` (run by the compiled loop) or a `OneShot`;
        a callable, or "module:function" resolved on first use (the builders live in
        `featlearn.train.stages`, a layer above the config).
      final_lambda: the weight decay λ the stage ends with (None: the stage sets no λ); the summary's
        certificate uses the last stage that sets one.
      modes: the data modes the stage supports.
      balances: whether the stage has a `balance` switch (needs a homogeneous activation).
    """

    config: type
    build: Union[str, Callable]
    final_lambda: Callable = _no_lambda
    modes: tuple = MODES
    balances: bool = False

    @property
    def kind(self) -> str:
        return self.config.model_fields["kind"].default


STAGES: KindTable[StageSpec] = KindTable("stage", [
    StageSpec(OneStep, "featlearn.train.stages.one_step:build"),
    StageSpec(FitSecondLayer, "featlearn.train.stages.fit_second_layer:build", balances=True),
    StageSpec(AnnealWeightDecay, "featlearn.train.stages.anneal:build", balances=True,
              final_lambda=lambda st: st.lam0 * st.factor ** (st.epochs - 1)),
    StageSpec(GD, "featlearn.train.stages.gd:build", final_lambda=lambda st: st.lam if st.lam > 0 else None),
    StageSpec(Lazy, "featlearn.train.stages.lazy:build"),
    StageSpec(GradientFlow, "featlearn.train.stages.gradient_flow:build",
              final_lambda=lambda st: (st.lam0 * st.factor ** (st.epochs - 1)) or None),
    StageSpec(Polish, "featlearn.train.stages.polish:build", modes=("population",),
              final_lambda=lambda st: st.lam if st.lam else None),
])


def register_stage(spec: StageSpec) -> StageSpec:
    """Add a stage kind at run time (e.g. from a notebook or a test); returns the spec."""
    return STAGES.add(spec)


def unregister_stage(kind: str) -> None:
    STAGES.remove(kind)


def final_weight_decay(stages) -> Optional[float]:
    """λ of the last stage that sets one (anneal: λ₀·factor^(epochs−1); gd: its λ if > 0), or None."""
    for st in reversed(list(stages)):
        lam = STAGES[st.kind].final_lambda(st)
        if lam is not None:
            return lam
    return None

__all__ = ["AnnealWeightDecay", "FitSecondLayer", "GD", "GradientFlow", "Lazy", "OneStep", "Polish", "STAGES", "StageSpec", "final_weight_decay", "register_stage", "unregister_stage"]
