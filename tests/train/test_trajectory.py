"""Trajectories: snapshots of (a, W) at logged steps, bounded, written to trajectory.npz and filmed by
`featlearn animate`."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

import featlearn
from featlearn.train.trajectory import MAX_SNAPSHOTS, Recorder, cap

SMALL = {"teacher": {"d": 5, "m_star": 2}, "student": {"m": 8}, "log_every": 50,
         "stages": [{"kind": "one_step"}, {"kind": "fit_second_layer"},
                    {"kind": "anneal_weight_decay", "epochs": 3, "steps_per_epoch": 600, "tol": 0.0, "rtol": 0.0}]}


@pytest.fixture(scope="module")
def filmed_run(tmp_path_factory):
    return featlearn.run({**SMALL, "name": "film", "metrics": {"trajectory_every": 100}}, out=tmp_path_factory.mktemp("film"))


def test_snapshots_follow_the_spacing_and_every_stage(filmed_run):
    r = filmed_run
    t = r.trajectory
    steps = t.step.tolist()
    # init, one_step, fit_second_layer, the anneal stage's start, then every 100 steps (rows every 50) to its end
    assert steps[:4] == [0, 1, 2, 2] and steps[-1] == 2 + 1800
    assert np.all(np.diff(t.step[4:]) == 100)
    assert t.stage.tolist()[:4] == ["init", "0:one_step", "1:fit_second_layer", "2:anneal_weight_decay"]
    np.testing.assert_array_equal(t.W[-1], np.asarray(r.params.W))  # the last snapshot is the final network
    np.testing.assert_allclose(t.lam[5], 1e-3)
    assert t.a.shape == (len(t), 8) and t.W.shape == (len(t), 8, 5)


def test_the_record_is_bounded_by_thinning():
    rec = Recorder(1, every=1)
    a, W = np.zeros(4), np.zeros((4, 3))
    for k in range(3 * MAX_SNAPSHOTS):
        rec.offer(0, k, "s", 0.0, a, W, force=k == 3 * MAX_SNAPSHOTS - 1)  # the driver forces each stage's end
    t = rec.trajectory(0)
    assert len(t) <= MAX_SNAPSHOTS and t.step[0] == 0 and t.step[-1] == 3 * MAX_SNAPSHOTS - 1
    assert t.every >= 2 and np.all(np.diff(t.step) > 0)
    assert cap(4096, 2000, 8) < 10 and cap(64, 20, 8) == MAX_SNAPSHOTS  # 64 MiB of parameters at most


def test_written_loaded_and_filmed(filmed_run):
    r = filmed_run
    loaded = featlearn.load_run(r.out_dir)
    np.testing.assert_array_equal(loaded.trajectory.W, r.trajectory.W)
    assert "loss_lambda" in loaded.figures and loaded.figures["loss_lambda"].is_file()
    html = (r.out_dir / "report.html").read_text()
    assert "featlearn animate" in html  # a recorded trajectory not yet filmed: the report says how
    p = subprocess.run([sys.executable, "-m", "featlearn", "animate", str(r.out_dir)], capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    gif = r.out_dir / "figures" / "trajectory.gif"
    from PIL import Image

    with Image.open(gif) as im:
        assert im.n_frames == len(r.trajectory) >= 20
        assert im.size[0] > 400
    html = (r.out_dir / "report.html").read_text()
    assert "data:image/gif;base64" in html and "featlearn animate" not in html
    # frames differ: the neurons move
    with Image.open(gif) as im:
        im.seek(1)
        first = np.asarray(im.convert("RGB"), float)
        im.seek(im.n_frames - 1)
        last = np.asarray(im.convert("RGB"), float)
    assert np.abs(first - last).mean() > 1.0


def test_blitted_frames_are_the_fully_drawn_frames(filmed_run):
    """The film redraws only the moving artists on a saved background: each frame must be the picture
    a full draw of the same snapshot gives (up to antialiasing at the edges of the moved markers)."""
    from featlearn.report.animation import animation_frames

    r = filmed_run
    args = (r.trajectory, r.teacher, r.metrics, r.config.teacher.activation, r.config.student.head)
    fast = list(animation_frames(*args, title="t", max_frames=6))
    full = list(animation_frames(*args, title="t", max_frames=6, blit=False))
    assert len(fast) == len(full) == 6
    for f, g in zip(fast, full):
        assert f.shape == g.shape
        differ = np.abs(f.astype(int) - g.astype(int)).max(axis=2) > 8
        assert differ.mean() < 2e-3, differ.mean()
    assert np.abs(fast[0].astype(int) - fast[-1].astype(int)).max(axis=2).mean() > 0.5  # and they move


def test_off_records_nothing_and_animate_refuses_what_it_cannot_film(tmp_path):
    r = featlearn.run({**SMALL, "metrics": {"trajectory_every": 0}}, out=tmp_path)
    assert r.trajectory is None and not (r.out_dir / "trajectory.npz").exists()
    p = subprocess.run([sys.executable, "-m", "featlearn", "animate", str(r.out_dir)], capture_output=True, text=True)
    assert p.returncode == 2 and p.stderr.count("\n") == 1 and "no trajectory.npz" in p.stderr
    p = subprocess.run([sys.executable, "-m", "featlearn", "animate", str(r.out_dir), "--out", str(tmp_path / "x.png")],
                       capture_output=True, text=True)
    assert p.returncode == 2 and "must end in .gif or .mp4" in p.stderr
