"""Looking at pages as a person would: headless Chromium with no network, and a scan for external references.

Chromium is Debian's ``chromium`` package (``.ci/run`` installs it). It runs with a fresh profile, without its
background services (this machine's closed network refuses them), and with every host name unresolvable and a
dead proxy, so a page that needs the network shows what it shows without it. :func:`dump_dom` returns the DOM after
the page's scripts ran; :func:`screenshot` writes what a person sees. :func:`external_references` reads every page
and stylesheet of a folder with an HTML parser (not the code under test) and lists what would be fetched from, or
linked to, outside the folder. :class:`ArgoArtifactServer` serves a folder the way the Argo UI serves an artifact.
"""

from __future__ import annotations

import functools
import http.server
import os
import re
import shutil
import subprocess
import tempfile
import threading
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

# The Argo server's Content-Security-Policy for artifacts (server/artifacts/artifact_server.go, Argo 3.4+): no
# script runs, and only images and stylesheets of the server itself load.
ARGO_ARTIFACT_CSP = "sandbox; base-uri 'none'; default-src 'none'; img-src 'self'; style-src 'self' 'unsafe-inline'"

_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
)
# No host name resolves (``localhost`` included), and any request that would use the network goes to a proxy on a
# closed port; only the address 127.0.0.1 stays reachable (Chromium never proxies it), for the tests' own servers.
_OFFLINE = ("--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1", "--proxy-server=127.0.0.1:9")


def chromium() -> str:
    """The Chromium binary; a missing one skips the test locally and fails it in CI (``.ci/run`` installs it)."""
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    reason = "chromium is not installed (apt-get install chromium; .ci/run does it)"
    if os.environ.get("CI"):
        pytest.fail(reason)
    pytest.skip(reason)


def _run(url: str, *extra: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    with tempfile.TemporaryDirectory(prefix="tributary-chromium-") as profile:
        args = [chromium(), *_FLAGS, *_OFFLINE, f"--user-data-dir={profile}", *extra, url]
        return subprocess.run(args, capture_output=True, text=True, timeout=timeout, check=False)


def dump_dom(url: str) -> str:
    """The page's DOM after its scripts ran (``--dump-dom``), offline, laid out on a 1280x800 screen."""
    proc = _run(url, "--virtual-time-budget=5000", "--window-size=1280,800", "--dump-dom")
    assert proc.returncode == 0 and "<html" in proc.stdout, proc.stderr[-2000:]
    return proc.stdout


def screenshot(url: str, png: Path, *, width: int = 1280, height: int = 900) -> Path:
    """A PNG of the first screen of the page, as a person sees it, offline."""
    png.parent.mkdir(parents=True, exist_ok=True)
    proc = _run(
        url, "--virtual-time-budget=5000", "--hide-scrollbars", f"--window-size={width},{height}", f"--screenshot={png}"
    )
    assert png.is_file(), proc.stderr[-2000:]
    return png


def text_of(dom: str) -> str:
    """The visible text of a DOM (scripts and styles dropped), whitespace collapsed."""
    parser = _Text()
    parser.feed(dom)
    return " ".join(" ".join(parser.parts).split())


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style", "title"):
            self._skip += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "title") and self._skip:
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


_URL_IN_CSS = re.compile(r"""url\(\s*["']?([^"')\s]+)|@import\s+["']([^"']+)""", re.I)
_LINKING_ATTRS = ("src", "href", "srcset", "action", "poster", "data", "formaction", "background")


def _external(value: str) -> bool:
    value = value.strip().lower()
    return value.startswith(("http:", "https:", "//", "ftp:", "ws:", "wss:"))


class _Refs(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []
        self._style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._style = tag == "style"
        for name, value in attrs:
            if value is None:
                continue
            if name in _LINKING_ATTRS:
                urls = [u.split()[0] for u in value.split(",") if u.strip()] if name == "srcset" else [value]
                self.found += [f"<{tag} {name}={u}>" for u in urls if _external(u)]
            if name == "style":
                self.found += [f"<{tag} style> {u}" for u in css_references(value) if _external(u)]

    def handle_endtag(self, tag: str) -> None:
        if tag == "style":
            self._style = False

    def handle_data(self, data: str) -> None:
        if self._style:
            self.found += [f"<style> {u}" for u in css_references(data) if _external(u)]


def css_references(css: str) -> list[str]:
    """Every ``url(...)`` and ``@import`` target of a stylesheet."""
    return [a or b for a, b in _URL_IN_CSS.findall(css)]


def external_references(folder: Path) -> list[str]:
    """``<file>: <reference>`` for every reference to outside in the folder's pages and stylesheets.

    An SVG's ``xmlns`` is a name, not a reference, and is not an attribute this scan reads.
    """
    found = []
    for path in sorted([*folder.rglob("*.html"), *folder.rglob("*.css")]):
        text = path.read_text(encoding="utf-8", errors="replace")
        rel = path.relative_to(folder).as_posix()
        if path.suffix == ".css":
            found += [f"{rel}: {u}" for u in css_references(text) if _external(u)]
        else:
            parser = _Refs()
            parser.feed(text)
            found += [f"{rel}: {ref}" for ref in parser.found]
    return found


class _CspHandler(http.server.SimpleHTTPRequestHandler):
    def end_headers(self) -> None:
        self.send_header("Content-Security-Policy", ARGO_ARTIFACT_CSP)
        self.send_header("X-Frame-Options", "SAMEORIGIN")
        super().end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


class ArgoArtifactServer:
    """A folder served on 127.0.0.1 with the Argo UI's artifact headers (its CSP blocks every script)."""

    def __init__(self, folder: Path) -> None:
        """Serve ``folder`` (start with ``with``)."""
        handler = functools.partial(_CspHandler, directory=str(folder))
        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> ArgoArtifactServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
