"""Experiments of DESIGN §3 and §7 (E1–E8, E14, …) (one YAML each, shipped here) and their claim checks."""

from featlearn.experiments.base import Claim, Experiment, ExperimentResult, load_experiment
from featlearn.experiments.registry import IDS, available, reproduce

__all__ = ["Claim", "Experiment", "ExperimentResult", "load_experiment", "IDS", "available", "reproduce"]
