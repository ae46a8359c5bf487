"""GX's Data Docs views, with their Jinja templates compiled once per process instead of once per view.

Each GX view builds a Jinja environment of its own, so one site build compiles the same page templates again for
every section it renders (about 50 compiles, a third of the build). These subclasses change nothing but that: they
give each environment the same in-memory bytecode cache, keyed by template and source checksum as Jinja's own
caches are, so a template is compiled once and its code reused by the next environment. Every GX view builds its
environment alike (``DefaultJinjaView.__init__``: the same loaders, autoescaping and extensions), which is what makes
the code shareable. :class:`steps.validate.runner.GxSession` names them in its site configuration, and the local
runner's warm interpreter for the gates compiles every template ahead (:func:`compile_templates`), so a gate's site
build compiles none.

Imports Great Expectations: import it through :func:`steps.validate.gx_import.import_gx` first (GX itself imports
this module when it builds a site; the warm interpreter's preload list names ``import_gx`` before it).
"""

from __future__ import annotations

import logging
from types import CodeType
from typing import Any

import jinja2
from great_expectations.render.view.view import DefaultJinjaIndexPageView, DefaultJinjaPageView
from jinja2.bccache import Bucket

log = logging.getLogger(__name__)


class MemoryBytecodeCache(jinja2.BytecodeCache):
    """Compiled templates kept in this process, reused while their source is unchanged."""

    def __init__(self) -> None:
        self._code: dict[str, tuple[str, CodeType]] = {}

    def load_bytecode(self, bucket: Bucket) -> None:
        """Fill ``bucket`` with the code compiled from the same source, if any."""
        cached = self._code.get(bucket.key)
        if cached is not None and cached[0] == bucket.checksum:
            bucket.code = cached[1]

    def dump_bytecode(self, bucket: Bucket) -> None:
        """Keep the code just compiled."""
        if bucket.code is not None:
            self._code[bucket.key] = (bucket.checksum, bucket.code)

    def clear(self) -> None:
        """Forget every compiled template."""
        self._code.clear()


TEMPLATES = MemoryBytecodeCache()


class _SharedTemplates:
    """Gives a GX view's Jinja environment the shared cache once GX's ``__init__`` built it."""

    env: jinja2.Environment

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        """GX's view, its environment given the shared cache."""
        super().__init__(*args, **kwargs)  # GX's view, next in the class's order
        self.env.bytecode_cache = TEMPLATES


class PageView(_SharedTemplates, DefaultJinjaPageView):
    """GX's page view (suites, validation results)."""


class IndexPageView(_SharedTemplates, DefaultJinjaIndexPageView):
    """GX's index page view."""


def compile_templates() -> int:
    """Compile every template of GX's views (pages and styles) into the shared cache; returns how many compiled.

    A warm-up, so best effort: a template that does not compile here is compiled (and reported) by the site build.
    """
    env = PageView().env
    compiled = 0
    for name in env.list_templates():
        try:
            env.get_template(name)
            compiled += 1
        except jinja2.TemplateError as exc:
            log.debug("Data Docs template not compiled ahead", extra={"template": name, "error": str(exc)[:200]})
    return compiled


def site_views() -> dict[str, Any]:
    """The parts of a GX ``SiteBuilder`` configuration that select these views (merged into GX's defaults)."""
    page = {"module_name": __name__, "class_name": PageView.__name__}
    return {
        "site_index_builder": {
            "class_name": "DefaultSiteIndexBuilder",
            "view": {"module_name": __name__, "class_name": IndexPageView.__name__},
        },
        "site_section_builders": {section: {"view": page} for section in ("expectations", "validations", "profiling")},
    }
