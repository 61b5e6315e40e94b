"""A run report opens in headless Chromium: every image decodes, no console errors; a screenshot is saved."""

import os
import shutil
from pathlib import Path

import pytest

from featlearn.config import load_config
from featlearn import run  # the public run: figures and report.html included

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]


def _require_browser():
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail("chromium is missing in CI (.ci/run installs it)")
        pytest.skip("chromium not installed (apt-get install -y chromium)")
    return pytest.importorskip("playwright.sync_api")


def check_page(path: Path, screenshot: Path) -> dict:
    pw = _require_browser()
    errors: list[str] = []
    with pw.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = browser.new_page(viewport={"width": 1200, "height": 900})
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(path.resolve().as_uri())
        page.wait_for_load_state("load")
        images = page.evaluate("Array.from(document.images).map(i => [i.complete, i.naturalWidth, i.naturalHeight])")
        title = page.title()
        links = page.evaluate("Array.from(document.querySelectorAll('a[href]')).map(a => a.getAttribute('href'))")
        ids = set(page.evaluate("Array.from(document.querySelectorAll('[id]')).map(e => e.id)"))
        page.set_viewport_size({"width": 1280, "height": 900})
        overflow = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        page.screenshot(path=str(screenshot), full_page=True)
        browser.close()
    broken = [h for h in links if (h[1:] not in ids if h.startswith("#") else not (path.parent / h).exists())]
    return {"errors": errors, "images": images, "title": title, "links": links, "broken": broken, "overflow": overflow}


def assert_reads_well(out: dict, min_images: int) -> None:
    """What a reader sees: no console error, every image decoded, no link to nothing, and no horizontal
    scrolling of the page at 1280 px (wide tables scroll inside their own box)."""
    assert out["errors"] == []
    assert len(out["images"]) >= min_images and all(c and w > 100 and h > 100 for c, w, h in out["images"]), out["images"]
    assert out["links"] and out["broken"] == [], out["broken"]
    width, inner = out["overflow"]
    assert width <= inner, f"the page is {width} px wide in a {inner} px window"


def test_run_report_renders_in_headless_chromium(tmp_path):
    cfg = load_config(None, ["name=browser", "teacher.d=6", "teacher.m_star=2", "teacher.a_star=[1,-1]", "student.m=8",
                             "stages.2.epochs=2", "stages.2.steps_per_epoch=200"])
    r = run(cfg, out=tmp_path)
    from featlearn.workflows import animate

    animate(r.out_dir)  # the film is embedded and must load like every figure
    shot = r.out_dir / "report_screenshot.png"
    out = check_page(r.out_dir / "report.html", shot)
    assert_reads_well(out, 4)
    assert len(out["images"]) == len(list((r.out_dir / "figures").glob("*.png"))) + 1
    assert "summary.json" in out["links"] and "#sec-figures" in out["links"]
    assert (r.out_dir / "report.html").stat().st_size < 2_000_000  # the film included
    print(f"report screenshot: {shot}")
    assert "featlearn run" in out["title"]
    assert shot.stat().st_size > 10_000


def test_sweep_and_experiment_reports_read_well(tmp_path):
    """A two-run sweep with population and empirical points (a wide results table) and experiment E5
    (wide claims): links to each run's report and to the data files resolve, nothing overflows."""
    import yaml

    from featlearn.workflows import reproduce, run_sweep

    base = {"name": "wide", "teacher": {"d": 4, "m_star": 2, "a_star": [1.0, -1.0]}, "student": {"m": 8},
            "stages": [{"kind": "one_step"}, {"kind": "fit_second_layer"},
                       {"kind": "anneal_weight_decay", "epochs": 2, "steps_per_epoch": 100}]}
    sweep = {"name": "wide", "base": base, "zip": {"data.mode": ["population", "empirical"], "data.n_train": [None, 300]}}
    (tmp_path / "wide.yaml").write_text(yaml.safe_dump(sweep))
    res = run_sweep(tmp_path / "wide.yaml", out=tmp_path / "sweeps", progress=False)
    out = check_page(res.folder / "report.html", tmp_path / "sweep.png")
    print(f"sweep report screenshot: {tmp_path / 'sweep.png'}")
    assert_reads_well(out, 1)
    assert sum(h.endswith("/report.html") for h in out["links"]) == 2
    reproduce("E5", "small", tmp_path / "experiments")
    out = check_page(tmp_path / "experiments" / "E5-small" / "report.html", tmp_path / "experiment.png")
    assert_reads_well(out, 1)
    assert "results.csv" in out["links"]
    text = (tmp_path / "experiments" / "E5-small" / "report.html").read_text()
    assert "\\u03B7" not in text and "η" in text  # the spec is shown as written, not as escapes
