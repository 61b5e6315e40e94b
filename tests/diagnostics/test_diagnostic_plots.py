"""Diagnostic figures: each is a pure function data → Figure, labelled, and saves to PNG."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from matplotlib.figure import Figure

import featlearn
from featlearn.diagnostics import (
    alignment,
    descent_direction,
    descent_fraction,
    dual_certificate,
    empirical_certificate,
    great_circles,
    hessian_spectrum,
    sphere_map,
)
from featlearn.report import diagnostic_plots as dp
from diag_helpers import orthonormal_teacher, separated_teacher, split_network


def labelled(fig):
    axes = [ax for ax in fig.axes if ax.get_visible() and ax.axison]
    assert axes, "no visible axes"
    for ax in axes:
        if ax.get_label() == "<colorbar>":
            continue
        assert ax.get_xlabel() or ax.get_ylabel() or not ax.has_data()
    assert fig._suptitle is not None or any(ax.get_title() for ax in fig.axes)


@pytest.fixture(scope="module")
def setup():
    t = orthonormal_teacher(5, [1.0, -1.0, 0.7], seed=0)
    net = split_network(t, [0.9, 0.9, 0.6], [[0.5, 0.5], [1.0], [0.3, 0.7]])
    rng = np.random.default_rng(0)
    net = net._replace(W=net.W + 0.02 * jnp.asarray(rng.standard_normal(net.W.shape)))
    return t, net


def save(fig, tmp_path, name):
    assert isinstance(fig, Figure)
    labelled(fig)
    path = tmp_path / f"{name}.png"
    fig.savefig(path, dpi=50)
    assert path.stat().st_size > 1000


def test_alignment_heatmap_and_plane(setup, tmp_path):
    t, net = setup
    al = alignment(net, t, "relu_trim")
    save(dp.alignment_heatmap(al), tmp_path, "heatmap")
    save(dp.teacher_plane(net, t, even=True), tmp_path, "plane")
    with pytest.raises(ValueError, match="m\\* ≥ 2"):
        dp.teacher_plane(net, featlearn.Params(t.a[:1], t.W[:1]))


def test_certificate_circles(setup, tmp_path):
    t, net = setup
    circles = great_circles({"empirical η_λ": empirical_certificate(net, t, "relu_trim", 1e-2),
                             "constructed η": dual_certificate(t, "relu_trim")}, t, even=True, n=361)
    fig = dp.certificate_circles(circles)
    save(fig, tmp_path, "circles")
    assert len([ax for ax in fig.axes if ax.get_xlabel().startswith("angle")]) == 3


def test_hessian_plot(setup, tmp_path):
    t, net = setup
    save(dp.hessian_spectrum_plot(hessian_spectrum(net, t, "relu_trim", 1e-2)), tmp_path, "hessian")
    fig = dp.hessian_spectrum_plot(hessian_spectrum(net, t, "relu_trim", 1e-2, max_params=5))
    assert "skipped" in fig.axes[0].texts[0].get_text()


def test_descent_pictures(tmp_path):
    t2 = featlearn.Params(jnp.asarray([1.0, -0.8]), jnp.asarray([[1.0, 0.0], [np.cos(1.2), np.sin(1.2)]]))
    net = featlearn.Params(jnp.asarray([0.6, 0.7, -0.8, 0.1]),
                           jnp.asarray([[0.6, 0.05], [0.68, -0.04], [0.3, 0.8], [-0.05, 0.1]]))
    chk = descent_direction(net, t2, "relu_trim", 1e-2, delta_deg=10.0)
    save(dp.descent_picture_2d(net, t2, chk, even=True), tmp_path, "descent2d")
    with pytest.raises(ValueError, match="d = 2"):
        dp.descent_picture_2d(featlearn.Params(jnp.ones(1), jnp.ones((1, 3))), t2, chk)
    fr = descent_fraction(orthonormal_teacher(20, [1.0, -1.0, 1.0], seed=0), "relu_trim", jax.random.PRNGKey(0),
                          angles_deg=(2.0, 20.0), n_probes=128)
    save(dp.descent_fraction_plot(fr), tmp_path, "fraction")


def test_certificate_sphere(tmp_path):
    t = separated_teacher(3, 3, seed=4, min_angle_deg=60, a_star=[1.0, -1.0, 1.0])
    smap = sphere_map(dual_certificate(t, "relu_trim"), t, n_lat=61, n_lon=121)
    assert smap.values.shape == (61, 121)
    # the teacher positions on the map are the teacher directions
    la, lo = np.radians(smap.teacher_lat_deg), np.radians(smap.teacher_lon_deg)
    np.testing.assert_allclose(np.stack([np.cos(la) * np.cos(lo), np.cos(la) * np.sin(lo), np.sin(la)], 1),
                               np.asarray(t.W), atol=1e-12)
    assert smap.away_max < 1.0
    save(dp.certificate_sphere(smap, even=True), tmp_path, "sphere")
    with pytest.raises(ValueError, match="d = 3"):
        sphere_map(dual_certificate(t, "relu_trim"), orthonormal_teacher(4, [1.0, -1.0]))
