"""Objectives: exact population loss, empirical loss, weight decay."""

from featlearn.objective.empirical import empirical_loss
from featlearn.objective.population import (
    head_residuals,
    kernel_quadform,
    optimal_head,
    optimal_second_layer,
    population_loss,
    population_loss_reference,
)
from featlearn.objective.regularised import (
    regularised_empirical_loss,
    regularised_population_loss,
    weight_decay,
)

__all__ = [
    "empirical_loss",
    "head_residuals",
    "kernel_quadform",
    "optimal_head",
    "optimal_second_layer",
    "population_loss",
    "population_loss_reference",
    "regularised_empirical_loss",
    "regularised_population_loss",
    "weight_decay",
]
