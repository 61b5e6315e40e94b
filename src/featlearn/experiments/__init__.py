"""Experiments E1–E8 of DESIGN §3 (one YAML each, shipped here) and their claim checks."""

from featlearn.experiments.base import Claim, Experiment, ExperimentResult, load_experiment
from featlearn.experiments.registry import IDS, available, reproduce

__all__ = ["Claim", "Experiment", "ExperimentResult", "load_experiment", "IDS", "available", "reproduce"]
