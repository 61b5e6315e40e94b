"""The run configuration (DESIGN §4.4) as frozen, validated pydantic models.

Every section forbids unknown keys; every field has a default, so the empty config is the built-in
default run: the paper's three stages on the population loss, d = 20, m* = 3, a* = (1, −1, 1),
orthonormal teacher, m = 64, relu_trim. The defaults of the stages are the ones we measured to work;
they are not the constants of the paper's proofs.
"""

from __future__ import annotations

import math
from typing import Annotated, List, Literal, Optional, Union

from pydantic import BaseModel, ConfigDict, Field, model_validator

ActivationName = Literal["relu", "abs", "relu_trim", "erf"]
PosInt = Annotated[int, Field(gt=0)]
PosFloat = Annotated[float, Field(gt=0)]
NonNegFloat = Annotated[float, Field(ge=0)]


class Strict(BaseModel):
    """Unknown keys are errors, instances are immutable, and no float may be inf or nan."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class TeacherConfig(Strict):
    """Teacher f*(x) = Σ a*_i σ(w*_i·x), label noise y = f* + N(0, noise_std²)."""

    d: PosInt = 20
    m_star: PosInt = 3
    activation: ActivationName = "relu_trim"
    a_star: Union[Literal["ones", "random_signs", "alternating"], List[float]] = [1.0, -1.0, 1.0]
    directions: Union[Literal["orthonormal", "random"], List[List[float]]] = "orthonormal"
    min_angle_deg: Annotated[float, Field(gt=0, lt=180)] = 30.0
    noise_std: NonNegFloat = 0.0

    @model_validator(mode="after")
    def _shapes(self):
        if isinstance(self.a_star, list) and len(self.a_star) != self.m_star:
            raise ValueError(f"a_star: expected m_star={self.m_star} values, got {len(self.a_star)}")
        if self.directions == "orthonormal" and self.m_star > self.d:
            raise ValueError(f"directions: 'orthonormal' needs m_star ≤ d, got m_star={self.m_star} > d={self.d}; use 'random'")
        if self.directions == "random" and self.m_star > 1:
            self._check_separation()
        if isinstance(self.directions, list):
            if len(self.directions) != self.m_star or any(len(r) != self.d for r in self.directions):
                raise ValueError(f"directions: expected an m_star × d = {self.m_star} × {self.d} list of lists")
            if any(all(x == 0 for x in r) for r in self.directions):
                raise ValueError("directions: every teacher direction must be nonzero")
        return self

    def _check_separation(self):
        """Cases where no m_star unit vectors are min_angle_deg apart (the sampler would search in vain)."""
        from featlearn.gaussian.activations import get_activation

        theta = self.min_angle_deg
        if get_activation(self.activation).even and theta >= 90:
            raise ValueError(
                f"teacher.min_angle_deg: with the even activation {self.activation}, ±w are the same feature, so directions "
                f"are at most 90° apart; got {theta}, use a value below 90 (e.g. 30)")
        if theta > 90:  # ‖Σ w_i‖² ≥ 0 gives m_star ≤ 1 + 1/|cos θ|
            limit = int(1 + 1 / -math.cos(math.radians(theta)) + 1e-9)
            if self.m_star > limit:
                raise ValueError(
                    f"teacher.min_angle_deg: at most {limit} directions can be {theta}° apart, got m_star={self.m_star}; "
                    "use a smaller min_angle_deg or fewer teacher neurons")


class StudentConfig(Strict):
    """Student width m; `head` adds a free linear head c + v·x (fitted exactly in population mode)."""

    m: PosInt = 64
    head: bool = False


class DataConfig(Strict):
    """`population`: exact Gaussian objectives; `empirical`: train on n_train samples."""

    mode: Literal["population", "empirical"] = "population"
    n_train: Optional[PosInt] = None
    n_test: PosInt = 10000


class SymmetricInit(Strict):
    """m/2 random unit directions, each twice, with a = ±scale (so f ≡ 0 at start)."""

    kind: Literal["symmetric"] = "symmetric"
    scale: PosFloat = 1e-3


class RandomInit(Strict):
    """a_j ~ N(0, a_scale²), w_j ~ N(0, w_scale² I_d / d)."""

    kind: Literal["random"] = "random"
    a_scale: PosFloat = 1.0
    w_scale: PosFloat = 1.0


class NearTeacherInit(Strict):
    """Each neuron = a teacher direction rotated by a random angle ≤ angle_deg; the teacher's mass is
    split at random among its neurons; `far` extra neurons in random directions carry mass far_mass each."""

    kind: Literal["near_teacher"] = "near_teacher"
    angle_deg: Annotated[float, Field(ge=0, lt=90)] = 5.0
    far: Annotated[int, Field(ge=0)] = 0
    far_mass: NonNegFloat = 1e-2
    mass_scale: PosFloat = 1.0


InitConfig = Annotated[Union[SymmetricInit, RandomInit, NearTeacherInit], Field(discriminator="kind")]


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
    lr: PosFloat = 1.0
    balance: bool = True
    tol: NonNegFloat = 0.0
    target_loss: Optional[PosFloat] = None


class GD(Strict):
    """Plain GD / momentum / Adam (optax) on L_λ with a fixed λ (λ = 0: no weight decay)."""

    kind: Literal["gd"] = "gd"
    optimizer: Literal["sgd", "momentum", "adam"] = "sgd"
    lr: PosFloat = 0.5
    lam: NonNegFloat = 0.0
    steps: PosInt = 1000
    momentum: Annotated[float, Field(ge=0, lt=1)] = 0.9
    batch_size: Optional[PosInt] = None


class Lazy(Strict):
    """GD on the model linearised at its initialisation (NTK regime); exact in population mode."""

    kind: Literal["lazy"] = "lazy"
    lr: PosFloat = 0.5
    lam: NonNegFloat = 0.0
    steps: PosInt = 1000


Stage = Annotated[Union[OneStep, FitSecondLayer, AnnealWeightDecay, GD, Lazy], Field(discriminator="kind")]
STAGE_MODELS = {m.model_fields["kind"].default: m for m in (OneStep, FitSecondLayer, AnnealWeightDecay, GD, Lazy)}
INIT_MODELS = {m.model_fields["kind"].default: m for m in (SymmetricInit, RandomInit, NearTeacherInit)}
STAGE_KINDS = tuple(STAGE_MODELS)


def _default_stages():
    return [OneStep(), FitSecondLayer(), AnnealWeightDecay()]


class MetricsConfig(Strict):
    """Thresholds of the alignment metrics (DESIGN §1.7)."""

    delta_deg: PosFloat = 2.0
    mass_tol: PosFloat = 1e-3


class RunConfig(Strict):
    """A whole run: teacher, student, data, initialisation and the list of stages."""

    name: Annotated[str, Field(min_length=1, max_length=80, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")] = "default"
    seed: Annotated[int, Field(ge=0, le=2**32 - 1)] = 0  # a PRNGKey seed (uint32)
    teacher: TeacherConfig = TeacherConfig()
    student: StudentConfig = StudentConfig()
    data: DataConfig = DataConfig()
    init: InitConfig = SymmetricInit()
    stages: Annotated[List[Stage], Field(min_length=1)] = Field(default_factory=_default_stages)
    metrics: MetricsConfig = MetricsConfig()
    log_every: PosInt = 100
    checkpoint_every: PosInt = 1000
    dtype: Literal["float64", "float32"] = "float64"

    @model_validator(mode="after")
    def _cross_checks(self):
        act = self.teacher.activation
        for i, st in enumerate(self.stages):
            if act == "erf" and getattr(st, "balance", False):
                raise ValueError(f"stages.{i}.balance: balancing needs a homogeneous activation (relu, abs, relu_trim), not erf; set it to false")
        if isinstance(self.init, NearTeacherInit) and self.init.far >= self.student.m:
            raise ValueError(f"init.far: must be smaller than student.m={self.student.m}, got {self.init.far}")
        if self.student.head and any(isinstance(st, Lazy) for st in self.stages):
            raise ValueError("student.head: the lazy stage linearises (a, W) only; set student.head to false")
        if isinstance(self.init, SymmetricInit) and self.student.m % 2:
            raise ValueError(f"student.m: the symmetric init needs an even width, got {self.student.m}")
        if self.data.mode == "empirical" and self.data.n_train is None:
            raise ValueError("data.n_train: empirical mode needs the number of training samples (a positive integer)")
        if self.checkpoint_every % self.log_every:
            raise ValueError(f"checkpoint_every: must be a multiple of log_every={self.log_every}, got {self.checkpoint_every}")
        return self
