"""Data Docs that open offline: the pages GX writes load vendored copies of the assets its templates fetch.

Great Expectations 1.24's page templates load Bootstrap, jQuery, bootstrap-table (which draws the index's list of
validations), Font Awesome, Vega and more from public CDNs, and the GX logo from GX's bucket. Without a network (an
air-gapped cluster, a train) the index then shows a title and two links, and every page is unstyled. So after GX
writes a site, :func:`make_offline` points every such URL at a copy inside the site (``static/vendor/``, relative
to each page, so the folder opens from anywhere: the lake, a download, an Argo artifact) and copies those files from
``steps/validate/vendor/`` (pinned versions from the npm registry; ``vendor/LICENSES.md`` names their licences).
GX's own links to its website become plain text and its newsletter footer goes, so a page refers to nothing
outside its folder. The rewriting is pure (:func:`localize`); only :func:`make_offline` touches files.
"""

from __future__ import annotations

import ast
import html
import logging
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

log = logging.getLogger(__name__)

VENDOR = Path(__file__).with_name("vendor")
SITE_VENDOR = "static/vendor"  # where a site keeps its copies, relative to its index.html

# Each URL GX 1.24's templates load -> the vendored file (relative to VENDOR). The CDN's floating Vega majors are
# pinned to the releases vendored; the filter-control stylesheet GX takes from bootstrap-table 1.19.0 is 1.19.1's
# (the extension's 1.19.1 script is what the pages run). Unminified sources are served minified: same rules.
ASSETS: dict[str, str] = {
    "https://maxcdn.bootstrapcdn.com/bootstrap/4.3.1/css/bootstrap.min.css": "bootstrap-4.3.1/css/bootstrap.min.css",
    "https://stackpath.bootstrapcdn.com/bootstrap/4.3.1/js/bootstrap.min.js": "bootstrap-4.3.1/js/bootstrap.min.js",
    "https://unpkg.com/bootstrap-table@1.19.1/dist/bootstrap-table.min.css": (
        "bootstrap-table-1.19.1/bootstrap-table.min.css"
    ),
    "https://unpkg.com/bootstrap-table@1.19.1/dist/bootstrap-table.min.js": (
        "bootstrap-table-1.19.1/bootstrap-table.min.js"
    ),
    "https://unpkg.com/bootstrap-table@1.19.1/dist/extensions/filter-control/bootstrap-table-filter-control.min.js": (
        "bootstrap-table-1.19.1/extensions/filter-control/bootstrap-table-filter-control.min.js"
    ),
    "https://unpkg.com/bootstrap-table@1.19.0/dist/extensions/filter-control/bootstrap-table-filter-control.min.css": (
        "bootstrap-table-1.19.1/extensions/filter-control/bootstrap-table-filter-control.min.css"
    ),
    "https://unpkg.com/bootstrap-table@1.19.0/dist/extensions/filter-control/bootstrap-table-filter-control.css": (
        "bootstrap-table-1.19.1/extensions/filter-control/bootstrap-table-filter-control.min.css"
    ),
    "https://cdnjs.cloudflare.com/ajax/libs/bootstrap-datepicker/1.9.0/css/bootstrap-datepicker.min.css": (
        "bootstrap-datepicker-1.9.0/css/bootstrap-datepicker.min.css"
    ),
    "https://cdnjs.cloudflare.com/ajax/libs/bootstrap-datepicker/1.9.0/js/bootstrap-datepicker.min.js": (
        "bootstrap-datepicker-1.9.0/js/bootstrap-datepicker.min.js"
    ),
    "https://cdn.jsdelivr.net/npm/@forevolve/bootstrap-dark@1.1.0/dist/css/bootstrap-prefers-dark.css": (
        "bootstrap-dark-1.1.0/css/bootstrap-prefers-dark.min.css"
    ),
    "https://cdnjs.cloudflare.com/ajax/libs/font-awesome/6.6.0/css/all.min.css": (
        "fontawesome-free-6.6.0/css/all.min.css"
    ),
    "https://code.jquery.com/jquery-3.7.1.min.js": "jquery-3.7.1/jquery.min.js",
    "https://cdnjs.cloudflare.com/ajax/libs/popper.js/1.12.9/umd/popper.min.js": "popper.js-1.12.9/umd/popper.min.js",
    "https://cdn.jsdelivr.net/npm/vega@5": "vega-5.33.1/vega.min.js",
    "https://cdn.jsdelivr.net/npm/vega-lite@5": "vega-lite-5.23.0/vega-lite.min.js",
    "https://cdn.jsdelivr.net/npm/vega-embed@6": "vega-embed-6.29.0/vega-embed.min.js",
}

# Files a vendored stylesheet loads in turn (Font Awesome's webfonts; woff2 only: every current browser takes it
# first, so the larger TrueType fallbacks are left out).
NEEDS: dict[str, tuple[str, ...]] = {
    "fontawesome-free-6.6.0/css/all.min.css": tuple(
        f"fontawesome-free-6.6.0/webfonts/{name}.woff2"
        for name in ("fa-brands-400", "fa-regular-400", "fa-solid-900", "fa-v4compatibility")
    ),
}

# GX's logo (and its dark-mode variant) from GX's bucket, with a cache-busting query: the site has the logo itself.
_LOGO = re.compile(r"https://great-expectations-web-assets\.s3\.us-east-2\.amazonaws\.com/[A-Za-z0-9_.-]+\.png[^\"')]*")
_SITE_LOGO = "static/images/logo-long.png"
# Vega draws charts; a page without one (every validation page of our suites) does not load its 800 KB.
_VEGA_SCRIPT = re.compile(r'<script src="https://cdn\.jsdelivr\.net/npm/vega(?:-lite|-embed)?@\d+"></script>\n?')
_GX_LINK = re.compile(r'<a href="https://greatexpectations\.io/?">([^<]*)</a>')
_NEWSLETTER = re.compile(r"<footer>\s*<p>Stay current on everything GX with our newsletter.*?</footer>\n?", re.S)
# The index's tables: bootstrap-table fills each from a Python-literal ``data: [...]`` line of an inline script.
_TABLE_DATA = re.compile(
    r"\$\('#(?P<id>[\w-]+)'\)\.bootstrapTable\(\s*Object\.assign\(\s*\{[^$]*?^\s*data: (?P<data>\[[^\n]*\]),$", re.M
)
# What still loads from outside after rewriting: src/href attributes, CSS url() and @import.
EXTERNAL = re.compile(r"""(?:\b(?:src|href)\s*=\s*["']|url\(\s*["']?|@import\s+["'])((?:https?:)?//[^"')\s]+)""", re.I)


@dataclass
class Localized:
    """A page or stylesheet after rewriting: its text, the vendored files it now loads, what still is external."""

    text: str
    used: set[str] = field(default_factory=set)
    external: list[str] = field(default_factory=list)


def localize(text: str, depth: int) -> Localized:
    """Rewrite one HTML page or stylesheet ``depth`` folders below the site root to load only local files.

    Args:
        text: The page's (or stylesheet's) text as GX wrote it.
        depth: How many folders below the site's ``index.html`` it lives (0 for the index itself).
    """
    up = "../" * depth
    if "vegaEmbed(" not in text:
        text = _VEGA_SCRIPT.sub("", text)
    used = set()
    for url, rel in ASSETS.items():
        if url in text:
            text = text.replace(url, f"{up}{SITE_VENDOR}/{rel}")
            used.add(rel)
    text = _LOGO.sub(up + _SITE_LOGO, text)
    text = _GX_LINK.sub(r"\1", text)
    text = _NEWSLETTER.sub("", text)
    text = static_lists(text)
    return Localized(text, used, external_refs(text))


def static_lists(text: str) -> str:
    """Put a plain list of each script-drawn table's rows after the table, removed again where scripts run.

        The Argo UI shows artifacts under a Content-Security-Policy that blocks every script, so there bootstrap-table
        never draws the index's list of validations; the plain list (a link, the status and the run time per row)
        keeps the index useful. Where scripts run and bootstrap-table loaded, a one-line inline script removes the list
    before it is painted.
    """
    for match in reversed(list(_TABLE_DATA.finditer(text))):
        try:
            rows = ast.literal_eval(match["data"])
        except (ValueError, SyntaxError):
            log.warning("data docs: the rows of table %s could not be read; no plain list for it", match["id"])
            continue
        table_end = text.find("</table>", text.find(f'id="{match["id"]}"'))
        if table_end < 0 or table_end > match.start():
            continue
        at = table_end + len("</table>")
        text = text[:at] + _plain_list(rows) + text[at:]
    return text


def _plain_list(rows: list[dict[str, object]]) -> str:
    items = []
    for row in rows:
        # A validation's asset, or a suite's name (the suites table holds it as plain text).
        name = row.get("asset_name") or row.get("expectation_suite_name") or row.get("_table_row_link_path")
        href = html.escape(str(row.get("_table_row_link_path", "")), quote=True)
        status = row.get("_validation_success_text")
        details = " · ".join(html.escape(str(v)) for v in (status, row.get("run_time")) if v)
        items.append(f'<li><a href="{href}">{html.escape(str(name))}</a>{" — " + details if details else ""}</li>')
    return (
        '\n<ul class="tributary-plain-list">' + "".join(items) + "</ul>"
        # Removed only where bootstrap-table is there to draw the table instead.
        "<script>if (window.jQuery && jQuery.fn.bootstrapTable) document.currentScript.previousElementSibling.remove()"
        "</script>\n"
    )


def external_refs(text: str) -> list[str]:
    """The URLs outside the site that a page or stylesheet would load (src, href, CSS ``url()``, ``@import``)."""
    return [m.group(1) for m in EXTERNAL.finditer(text)]


def make_offline(site: Path) -> list[str]:
    """Rewrite every page and stylesheet of a rendered site and copy in the vendored files they load.

    Returns what still points outside the site (each also logged as a warning): empty for GX 1.24's templates;
    anything else means a new GX template fetches something :data:`ASSETS` does not cover yet.
    """
    used: set[str] = set()
    left: list[str] = []
    texts: list[str] = []
    for path in sorted([*site.rglob("*.html"), *site.rglob("*.css")]):
        rel = path.relative_to(site)
        if rel.as_posix().startswith(SITE_VENDOR + "/"):
            continue
        text = path.read_text(encoding="utf-8")
        page = localize(text, len(rel.parts) - 1)
        if page.text != text:
            path.write_text(page.text, encoding="utf-8")
        texts.append(page.text)
        used |= page.used
        left += [f"{rel.as_posix()}: {url}" for url in page.external]
    drop_unused_images(site, texts)
    for name in sorted(used | {need for u in used for need in NEEDS.get(u, ())}):
        target = site / SITE_VENDOR / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(VENDOR / name, target)
    for item in left:
        log.warning("data docs page still loads from the network: %s", item)
    return left


def drop_unused_images(site: Path, texts: list[str]) -> None:
    """Delete the images GX copies into every site that no page or stylesheet names (3.3 MB of animated GIFs)."""
    for image in sorted((site / "static" / "images").glob("*")):
        if image.is_file() and not any(image.name in text for text in texts):
            image.unlink()
