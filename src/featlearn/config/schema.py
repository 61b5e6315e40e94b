"""The run configuration (DESIGN §4.4) as frozen, validated pydantic models.

Every section forbids unknown keys; every field has a default, so the empty config is the built-in
default run: the paper's three stages on the population loss, d = 20, m* = 3, a* = (1, −1, 1),
orthonormal teacher, m = 64, relu_trim. The defaults of the stages are the ones we measured to work;
they are not the constants of the paper's proofs.
"""

from __future__ import annotations

import math
import re
from typing import Annotated, Any, List, Literal, Optional

from pydantic import AfterValidator, BeforeValidator, Field, field_validator, model_validator

from featlearn.config.base import Int, NonNegFloat, NonNegInt, PosFloat, PosInt, Strict
from featlearn.config.errors import warn
from featlearn.config.kinds import KindTable
from featlearn.config.stages import STAGES, AnnealWeightDecay, FitSecondLayer, OneStep, final_weight_decay



def _hermite_spec(value):
    """`{hermite: [c0, c1, ...]}` (σ = Σ c_k He_k/√k!) → its canonical name "hermite(c0,c1,…)"."""
    if isinstance(value, dict) and set(value) == {"hermite"}:
        from featlearn.gaussian.activations import hermite_name

        cs = value["hermite"]
        if (not isinstance(cs, (list, tuple)) or not 1 <= len(cs) <= 13
                or any(isinstance(c, bool) or not isinstance(c, (int, float)) or not math.isfinite(c) for c in cs)):
            raise ValueError("hermite: give 1 to 13 finite Hermite coefficients [c0, c1, ...] (σ = Σ c_k He_k/√k!)")
        if all(c == 0 for c in cs):
            raise ValueError("hermite: at least one coefficient must be nonzero")
        return hermite_name(cs)
    if isinstance(value, dict):
        raise ValueError("must be a name or {hermite: [c0, c1, ...]}")
    return value


def _lookup_activation(value):
    """The activation a raw config value names, or None when it names none (the validator then says why)."""
    from featlearn.gaussian.activations import get_activation

    try:
        return get_activation(_hermite_spec(value)) if isinstance(value, (str, dict)) else None
    except ValueError:
        return None


def _known_activation(name: str) -> str:
    from featlearn.gaussian.activations import ACTIVATIONS, get_activation

    try:
        get_activation(name)
    except ValueError:
        raise ValueError(f"must be one of {', '.join(repr(a) for a in ACTIVATIONS if not a.startswith('hermite('))} "
                         "or {hermite: [c0, c1, ...]}") from None
    return name


# a name of `featlearn.gaussian.ACTIVATIONS` (or a registered one), or {hermite: [...]} (stored by its name)
ActivationName = Annotated[str, BeforeValidator(_hermite_spec), AfterValidator(_known_activation)]


ASTAR_CHOICES = ("ones", "random_signs", "alternating")  # presets of teacher.a_star
DIRECTION_CHOICES = ("orthonormal", "random")  # presets of teacher.directions


def _choice_or_numbers(choices: tuple, depth: int, shape: str):
    """Validator of a field that is one of `choices` or a (nested, `depth` levels) list of numbers."""
    valid = f"one of {', '.join(repr(c) for c in choices)} or {shape}"

    def numbers(x, level: int, where: str):
        if level == 0:
            if isinstance(x, bool) or not isinstance(x, (int, float)) or not math.isfinite(x):
                raise ValueError(f"{where}: expected a finite number, got {x!r}; the value must be {valid}")
            return float(x)
        if not isinstance(x, (list, tuple)):
            raise ValueError(f"{where}: expected a list, got {x!r}; the value must be {valid}")
        return [numbers(v, level - 1, f"{where}.{i}" if where else str(i)) for i, v in enumerate(x)]

    def check(value):
        if isinstance(value, str):
            if value not in choices:
                raise ValueError(f"must be {valid} (got {value!r})")
            return value
        if isinstance(value, (list, tuple)):
            return numbers(value, depth, "")
        raise ValueError(f"must be {valid} (got {value!r})")

    return check


class TeacherConfig(Strict):
    """Teacher f*(x) = Σ a*_i σ(w*_i·x), label noise y = f* + N(0, noise_std²)."""

    d: PosInt = 20
    m_star: PosInt = 3
    activation: ActivationName = "relu_trim"
    a_star: Annotated[Any, BeforeValidator(_choice_or_numbers(ASTAR_CHOICES, 1, "a list of m_star numbers"))] = None
    directions: Annotated[Any, BeforeValidator(_choice_or_numbers(DIRECTION_CHOICES, 2, "an m_star × d list of lists of numbers"))] = "orthonormal"
    min_angle_deg: Annotated[float, Field(gt=0, lt=180)] = 30.0
    noise_std: NonNegFloat = 0.0

    @model_validator(mode="before")
    @classmethod
    def _default_a_star(cls, data):
        """a_star left out (or null): alternating signs +1, −1, … of length m_star, written out, so the
        resolved config (and its digest) says what was run and a sweep over m_star needs no a_star."""
        if isinstance(data, dict) and data.get("a_star") is None:
            m = data.get("m_star", cls.model_fields["m_star"].default)
            if isinstance(m, int) and not isinstance(m, bool) and 0 < m <= 100_000:
                data = {**data, "a_star": [(-1.0) ** i for i in range(m)]}
        return data

    @model_validator(mode="after")
    def _shapes(self):
        if isinstance(self.a_star, list) and len(self.a_star) != self.m_star:
            raise ValueError(f"a_star: expected m_star={self.m_star} values, got {len(self.a_star)}; give a list of m_star numbers, "
                             f"leave it out (alternating signs) or use a preset: {', '.join(ASTAR_CHOICES)}")
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
        act = get_activation(self.activation)
        if act.symmetric and theta >= 90:
            raise ValueError(
                f"teacher.min_angle_deg: with the {'even' if act.even else 'odd'} activation {self.activation}, ±w are the same feature, so directions "
                f"are at most 90° apart; got {theta}, use a value below 90 (e.g. 30)")
        if theta > 90:  # ‖Σ w_i‖² ≥ 0 gives m_star ≤ 1 + 1/|cos θ|
            limit = int(1 + 1 / -math.cos(math.radians(theta)) + 1e-9)
            if self.m_star > limit:
                raise ValueError(
                    f"teacher.min_angle_deg: at most {limit} directions can be {theta}° apart, got m_star={self.m_star}; "
                    "use a smaller min_angle_deg or fewer teacher neurons")


class StudentConfig(Strict):
    """Student width m; `head` adds a free linear head c + v·x (fitted exactly in population mode).
    Left out, `head` follows the activation (see `RunConfig`). `activation` left out is the teacher's;
    a different one is a misspecified student (DESIGN §7.5)."""

    m: PosInt = 64
    head: bool = False
    activation: Optional[ActivationName] = None


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
    far: NonNegInt = 0
    far_mass: NonNegFloat = 1e-2
    mass_scale: PosFloat = 1.0


INITS: KindTable[type] = KindTable("init", [SymmetricInit, RandomInit, NearTeacherInit], model_of=lambda m: m)
InitConfig = Annotated[Any, BeforeValidator(INITS.validator())]
StageConfig = Annotated[Any, BeforeValidator(STAGES.validator())]  # any kind of the stage registry


def _default_stages():
    return [OneStep(), FitSecondLayer(), AnnealWeightDecay()]


def raw_defaults() -> dict:
    """The default config as raw data without the keys whose defaults follow other keys (a_star, head,
    balance): what `--set` starts a missing section or list from."""
    data = RunConfig().model_dump(mode="json")
    data["teacher"].pop("a_star")
    data["student"].pop("head")
    for st in data["stages"]:
        st.pop("balance", None)
    return data


def _with_balance(stage, homogeneous: bool):
    """A stage mapping whose kind has a `balance` switch gets balance = homogeneous when it is left out."""
    if isinstance(stage, dict) and stage.get("kind") in STAGES and STAGES[stage["kind"]].balances and stage.get("balance") is None:
        return {**stage, "balance": homogeneous}
    return stage


class MetricsConfig(Strict):
    """Thresholds of the alignment metrics (DESIGN §1.7) and the trajectory record.

    `trajectory_every`: store (a, W) in trajectory.npz at logged steps at least this many steps apart
    (0: off); at most `featlearn.train.trajectory.MAX_SNAPSHOTS` snapshots and 64 MiB are kept (beyond,
    every other snapshot is dropped and the spacing doubles)."""

    delta_deg: PosFloat = 2.0
    mass_tol: PosFloat = 1e-3
    trajectory_every: NonNegInt = 200


class RunConfig(Strict):
    """A whole run: teacher, student, data, initialisation and the list of stages."""

    name: str = "default"
    seed: Annotated[Int, Field(ge=0, le=2**32 - 1)] = 0  # a PRNGKey seed (uint32)
    teacher: TeacherConfig = TeacherConfig()
    student: StudentConfig = StudentConfig()
    data: DataConfig = DataConfig()
    init: InitConfig = SymmetricInit()
    stages: List[StageConfig] = Field(default_factory=_default_stages)
    metrics: MetricsConfig = MetricsConfig()
    log_every: PosInt = 100
    checkpoint_every: PosInt = 1000
    dtype: Literal["float64", "float32"] = "float64"

    @model_validator(mode="before")
    @classmethod
    def _activation_defaults(cls, data):
        """Defaults that follow the activation (DESIGN §7.3), written into the resolved config:
        `student.head` (left out) is true when σ has nonzero Hermite orders 0 or 1 (relu, abs, erf) and no
        stage is lazy; a stage's `balance` (left out) is true only for a homogeneous σ."""
        if not isinstance(data, dict):
            return data
        teacher = data.get("teacher") if isinstance(data.get("teacher"), dict) else {}
        student = data.get("student") if isinstance(data.get("student"), dict) else {}
        # the student's activation (left out: the teacher's) decides the head and balancing defaults
        t_name = teacher.get("activation", TeacherConfig.model_fields["activation"].default)
        act = _lookup_activation(student.get("activation") or t_name)  # None: the field validator says why
        t_act = _lookup_activation(t_name)
        if act is None or t_act is None:
            return data
        data = dict(data)
        if "stages" not in data:
            data["stages"] = [st.model_dump() for st in _default_stages()]
            for st in data["stages"]:
                st.pop("balance", None)
        stages = data["stages"]
        if isinstance(stages, list):
            data["stages"] = [_with_balance(st, act.homogeneous) for st in stages]
        student = data.get("student", {})
        if isinstance(student, dict) and student.get("head") is None:
            lazy = isinstance(stages, list) and any(isinstance(st, dict) and st.get("kind") == "lazy" for st in stages)
            # a head when either σ has Hermite orders 0 or 1 (a misspecified student must take the teacher's)
            data["student"] = {**student, "head": bool((act.low_orders or t_act.low_orders) and not lazy)}
        return data

    @property
    def student_activation(self) -> str:
        """The student's activation: `student.activation`, or the teacher's when it is left out."""
        return self.student.activation or self.teacher.activation

    @property
    def misspecified(self) -> bool:
        """The student's activation differs from the teacher's."""
        return self.student_activation != self.teacher.activation

    @property
    def objective_activation(self) -> str:
        """The name the objectives take: the activation, or "student|teacher" for a misspecified student."""
        return f"{self.student_activation}|{self.teacher.activation}" if self.misspecified else self.teacher.activation

    @field_validator("name")
    @classmethod
    def _safe_name(cls, value: str):
        if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,79}", value):
            raise ValueError(f"name: {value!r} is not a valid run name; use letters, digits, '_', '.' and '-' only (at most 80), "
                             "starting with a letter or digit (it becomes a folder name, so no '/', '..' or spaces)")
        return value

    @field_validator("stages", mode="before")
    @classmethod
    def _some_stages(cls, value):
        if isinstance(value, (list, tuple)) and not value:
            raise ValueError(f"stages: needs at least one stage, e.g. [{{kind: gd}}]; valid kinds: {', '.join(STAGES.kinds())}")
        return value

    @model_validator(mode="after")
    def _cross_checks(self):
        from featlearn.gaussian.activations import get_activation, homogeneous_names

        problems: list[str] = []  # every cross-key problem is reported at once, one line each
        act = self.student_activation
        if not get_activation(act).homogeneous:
            for i, st in enumerate(self.stages):
                if STAGES[st.kind].balances and st.balance:
                    homog = ", ".join(homogeneous_names())
                    problems.append(f"stages.{i}.balance: balancing needs a homogeneous student activation ({homog}), not {act}; "
                                    "set it to false")
        for i, st in enumerate(self.stages):
            if self.data.mode not in STAGES[st.kind].modes:
                problems.append(f"stages.{i}.kind: {st.kind} supports data.mode {' or '.join(STAGES[st.kind].modes)}, not {self.data.mode}")
        if self.init.kind == "near_teacher" and self.init.far >= self.student.m:
            problems.append(f"init.far: must be smaller than student.m={self.student.m}, got {self.init.far}")
        if self.student.head and any(st.kind == "lazy" for st in self.stages):
            problems.append("student.head: the lazy stage linearises (a, W) only; set student.head to false")
        if self.init.kind == "symmetric" and self.student.m % 2:
            problems.append(f"student.m: the symmetric init needs an even width, got {self.student.m}")
        if self.data.mode == "empirical" and self.data.n_train is None:
            problems.append("data.n_train: empirical mode needs the number of training samples (a positive integer)")
        if self.checkpoint_every % self.log_every:
            problems.append(f"checkpoint_every: must be a multiple of log_every={self.log_every}, got {self.checkpoint_every}")
        if problems:
            raise ValueError("\n".join(problems))
        for i, st in enumerate(self.stages):  # a polish stage without λ polishes the λ the stages before it end with
            if st.kind == "polish" and st.lam is None:
                self.stages[i] = st.model_copy(update={"lam": final_weight_decay(self.stages[:i]) or 0.0})
        self._warn_ignored()
        return self

    def _warn_ignored(self) -> None:
        """Keys the data mode ignores, said once (a `ConfigWarning`)."""
        if self.data.mode != "population":
            return
        exact = "population mode uses the exact Gaussian loss"
        for key in ("n_train", "n_test"):
            if getattr(self.data, key) != DataConfig.model_fields[key].default:
                warn(f"data.{key} is ignored: {exact} (set data.mode: empirical to train on samples)")
        for i, st in enumerate(self.stages):
            for key in ("n", "batch_size"):
                if getattr(st, key, None) is not None:
                    warn(f"stages.{i}.{key} is ignored: {exact}")
        if self.teacher.noise_std > 0:
            warn("teacher.noise_std: label noise does not change population training (the excess loss L is exact); "
                 "summary.risk adds s²/2")
