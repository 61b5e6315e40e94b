"""E13's count of computed steps from the logged schedule positions."""

import numpy as np

from featlearn.experiments.e13 import computed_steps


def test_computed_steps_skip_what_a_converged_epoch_left_out():
    # epochs of 100 steps, chunks of 20: epoch 0 runs to 60 and is skipped, epoch 1 runs fully, epoch 2 to 240
    steps = np.array([20, 40, 60, 120, 140, 160, 180, 200, 220, 240])
    np.testing.assert_array_equal(computed_steps(steps, 100), [20, 40, 60, 80, 100, 120, 140, 160, 180, 200])
    np.testing.assert_array_equal(computed_steps(np.arange(20, 301, 20), 100), np.arange(20, 301, 20))
