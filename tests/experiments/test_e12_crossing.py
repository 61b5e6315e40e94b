"""E12's n* from a walk up the sample grid: the grid, the log–log interpolation and the censoring."""

import numpy as np
import pytest

from featlearn.experiments.e12 import crossing, grid, rf_features


def test_grid_is_geometric_and_stops_at_n_max():
    assert grid(16, 256, 2.0) == [16, 32, 64, 128, 256]
    g = grid(16, 300)
    assert g[:5] == [16, 23, 32, 45, 64] and g[-1] <= 300 and round(g[-1] * 2 ** 0.5) > 300


def test_crossing_interpolates_a_power_law_exactly():
    # loss = C n^{-1/2} on log-log axes is a straight line, so the interpolated crossing is exact
    ns = np.array([16, 32, 64, 128, 256])
    losses = 3.0 * ns ** -0.5
    eps = 3.0 * 100.0 ** -0.5
    n_star, cens = crossing(ns[ns <= 128], losses[ns <= 128], eps)
    assert cens == "" and n_star == pytest.approx(100.0, rel=1e-12)


def test_crossing_takes_the_first_point_below_eps():
    n_star, cens = crossing([10, 20, 40, 80], [1.0, 0.05, 0.2, 0.01], 0.1)
    assert cens == "" and 10 < n_star < 20


def test_crossing_censors_both_ends():
    assert crossing([10, 20], [0.5, 0.4], 0.1) == (20.0, "above")
    assert crossing([10, 20], [0.05, 0.01], 0.1) == (10.0, "below")


def test_rf_features_follow_the_samples_within_bounds():
    spec = {"rf_features_per_sample": 2, "rf_max_features": 4096}
    assert [rf_features(spec, n) for n in (16, 1000, 5000)] == [256, 2000, 4096]
