"""The fitting helpers on synthetic data whose exponents and thresholds are known."""

import numpy as np
import pytest

from featlearn.fits import log_law, power_law, threshold


def test_power_law_is_exact_on_noise_free_data():
    x = np.geomspace(8, 64, 6)
    f = power_law(x, 3.0 * x**1.7, n_boot=200)
    assert f.slope == pytest.approx(1.7, abs=1e-12) and np.exp(f.intercept) == pytest.approx(3.0, rel=1e-12)
    assert f.r2 == pytest.approx(1.0) and f.low == pytest.approx(1.7, abs=1e-10) and f.high == pytest.approx(1.7, abs=1e-10)
    np.testing.assert_allclose(f.predict(x), 3.0 * x**1.7, rtol=1e-12)


def test_power_law_interval_covers_the_true_exponent_at_about_its_level():
    """Log-normal noise σ = 0.1 on 12 points: the 95% interval must cover p = 2 in most of 60 datasets and
    be about as wide as the least-squares standard error predicts."""
    rng = np.random.default_rng(1)
    x = np.geomspace(4, 40, 12)
    covered, widths = 0, []
    for _ in range(60):
        y = 0.5 * x**2.0 * np.exp(0.1 * rng.standard_normal(x.size))
        f = power_law(x, y, n_boot=300, seed=int(rng.integers(1 << 30)))
        covered += f.contains(2.0)
        widths.append(f.high - f.low)
    lx = np.log(x)
    se = 0.1 / np.sqrt(np.sum((lx - lx.mean()) ** 2))
    assert covered >= 48  # 95% nominal; the percentile bootstrap is a little narrow at 12 points
    assert 2.0 * se < np.median(widths) < 6.0 * se  # ≈ 2·1.96·se


def test_power_law_drops_points_it_cannot_take_logs_of_and_refuses_one_x():
    f = power_law([1, 2, 4, 0, 8], [1, 4, 16, 5, np.nan], n_boot=50)
    assert f.n == 3 and f.slope == pytest.approx(2.0)
    with pytest.raises(ValueError, match="power_law: needs at least two distinct"):
        power_law([2, 2], [1, 3])


def test_log_law_recovers_a_logarithmic_growth():
    eps = np.geomspace(1e-10, 1e-3, 8)
    steps = 100 + 250 * np.log(1 / eps)
    f = log_law(1 / eps, steps, n_boot=100)
    assert f.slope == pytest.approx(250) and f.intercept == pytest.approx(100) and f.r2 == pytest.approx(1.0)
    # the power-law fit of the same data has a small exponent and a worse R²
    g = power_law(1 / eps, steps, n_boot=100)
    assert g.slope < 0.2 and g.r2 < f.r2


def test_threshold_finds_the_fifty_percent_level_and_the_width():
    rng = np.random.default_rng(3)
    levels = np.geomspace(1e-6, 1e-1, 11)
    x = np.repeat(levels, 40)
    true_x0, width = 1e-3, 1.0  # decades from 90% to 10%
    s = width / (2 * np.log(9.0))
    p = 1 / (1 + np.exp((np.log10(x) - np.log10(true_x0)) / s))
    t = threshold(x, rng.random(x.size) < p, n_boot=200)
    assert t.low <= true_x0 <= t.high and t.high / t.low < 3
    assert t.width_low <= width <= t.width_high
    np.testing.assert_allclose(t.probability([t.x0]), 0.5)


def test_threshold_of_a_step_lies_between_the_last_success_and_the_first_failure():
    levels = np.geomspace(1e-5, 1e-1, 9)
    x = np.repeat(levels, 16)
    t = threshold(x, x < 2e-3, n_boot=100)
    assert levels[levels < 2e-3].max() <= t.x0 <= levels[levels > 2e-3].min()
    assert t.width_decades <= 0.1


def test_threshold_refuses_trials_without_both_outcomes():
    with pytest.raises(ValueError, match="threshold: needs trials"):
        threshold([1e-3, 1e-2], [1, 1])
