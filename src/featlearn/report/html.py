"""Self-contained HTML reports: figures inlined as base64 PNG, no scripts, no network."""

from __future__ import annotations

import base64
import html
from pathlib import Path
from typing import Iterable, Mapping, Optional

_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2rem auto;max-width:1100px;color:#222;padding:0 1rem}
h1{font-size:1.6rem}h2{font-size:1.2rem;margin-top:2rem;border-bottom:1px solid #ddd}
table{border-collapse:collapse;font-size:.9rem}td,th{border:1px solid #ccc;padding:.25rem .6rem;text-align:left}
th{background:#f4f4f4}.pass{color:#176f2c;font-weight:600}.fail{color:#b00020;font-weight:600}
figure{margin:1rem 0}figure img{max-width:100%;border:1px solid #eee}figcaption{font-size:.85rem;color:#555}
pre{background:#f7f7f7;padding:.8rem;overflow:auto;font-size:.8rem;white-space:pre-wrap;overflow-wrap:anywhere}
.scroll{overflow-x:auto;max-width:100%}nav{font-size:.9rem}
"""


def png_data_uri(path: Path) -> str:
    """The image file as a data: URI (PNG or GIF, from the suffix)."""
    kind = "gif" if Path(path).suffix.lower() == ".gif" else "png"
    return f"data:image/{kind};base64," + base64.b64encode(Path(path).read_bytes()).decode()


class Link(str):
    """A table cell that is a link: `Link("runs/x/report.html", "x")` (the text is the str value)."""

    def __new__(cls, href: str, text: str):
        obj = super().__new__(cls, text)
        obj.href = href
        return obj


def table(rows: Iterable[Mapping], columns: Optional[list] = None) -> str:
    """An HTML table (in a horizontally scrolling box, so a wide table never widens the page)."""
    rows = list(rows)
    if not rows:
        return "<p>(none)</p>"
    columns = columns or list(rows[0])
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in columns)
    body = []
    for r in rows:
        cells = []
        for c in columns:
            v = r.get(c)
            cls = ""
            if isinstance(v, bool) and c in ("pass", "passed", "recovered"):
                cls = ' class="pass"' if v else ' class="fail"'
            inner = link(v.href, str(v)) if isinstance(v, Link) else html.escape(_fmt(v))
            cells.append(f"<td{cls}>{inner}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f"<div class=\"scroll\"><table><tr>{head}</tr>{''.join(body)}</table></div>"


def _fmt(v) -> str:
    if isinstance(v, float):
        return f"{v:.4g}"
    if isinstance(v, dict):  # a claim's several measured numbers: "name = value" pairs, numbers to 4 digits
        return ", ".join(f"{k} = {_fmt(x)}" for k, x in v.items())
    if isinstance(v, list):
        return "[" + ", ".join(_fmt(x) for x in v) + "]"
    return "" if v is None else str(v)


def figures(figdir: Path, captions: Mapping[str, str] | None = None, order: Iterable[str] = ()) -> str:
    """The PNG and GIF figures of a folder, inlined, those named in `order` first (in that order), then
    the rest by name; each with its caption and an anchor `fig-<name>`."""
    captions = captions or {}
    rank = {name: i for i, name in enumerate(order)}
    files = sorted([*Path(figdir).glob("*.png"), *Path(figdir).glob("*.gif")], key=lambda p: (rank.get(p.stem, len(rank)), p.stem))
    parts = []
    for img in files:
        cap = html.escape(captions.get(img.stem, img.stem.replace("_", " ")))
        parts.append(f'<figure id="fig-{html.escape(img.stem)}"><img src="{png_data_uri(img)}" alt="{cap}"><figcaption>{cap}</figcaption></figure>')
    return "\n".join(parts) or "<p>(no figures)</p>"


def anchor(heading: str) -> str:
    return "sec-" + "".join(ch if ch.isalnum() else "-" for ch in heading.lower()).strip("-")


def page(title: str, sections: list[tuple[str, str]], contents: bool = True) -> str:
    """A whole HTML page from (heading, inner-HTML) sections, with a contents list linking to each."""
    body = "\n".join(f"<h2 id=\"{anchor(h)}\">{html.escape(h)}</h2>\n{inner}" for h, inner in sections)
    toc = ""
    if contents and len(sections) > 1:
        toc = "<nav><p>Contents: " + " · ".join(f'<a href="#{anchor(h)}">{html.escape(h)}</a>' for h, _ in sections) + "</p></nav>\n"
    return (f"<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{html.escape(title)}</title>"
            f"<style>{_CSS}</style></head><body><h1>{html.escape(title)}</h1>\n{toc}{body}\n</body></html>\n")


def link(href: str, text: str) -> str:
    return f'<a href="{html.escape(href, quote=True)}">{html.escape(text)}</a>'


def pre(text: str) -> str:
    return f"<pre>{html.escape(text)}</pre>"
