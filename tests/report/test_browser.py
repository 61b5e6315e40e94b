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
        page.screenshot(path=str(screenshot), full_page=True)
        browser.close()
    return {"errors": errors, "images": images, "title": title}


def test_run_report_renders_in_headless_chromium(tmp_path):
    cfg = load_config(None, ["name=browser", "teacher.d=6", "teacher.m_star=2", "teacher.a_star=[1,-1]", "student.m=8",
                             "stages.2.epochs=2", "stages.2.steps_per_epoch=200"])
    r = run(cfg, out=tmp_path)
    shot = r.out_dir / "report_screenshot.png"
    out = check_page(r.out_dir / "report.html", shot)
    assert out["errors"] == []
    assert len(out["images"]) == len(list((r.out_dir / "figures").glob("*.png"))) >= 3
    assert all(complete and w > 100 and h > 100 for complete, w, h in out["images"])
    assert "featlearn run" in out["title"]
    assert shot.stat().st_size > 10_000
