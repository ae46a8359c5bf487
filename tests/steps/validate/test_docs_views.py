"""Data Docs templates compiled once per process and shared by GX's views (steps.validate.docs_views)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import jinja2
import pandas as pd
import pytest

from steps.validate import docs_views
from steps.validate.docs_views import TEMPLATES, MemoryBytecodeCache, compile_templates
from steps.validate.runner import GxSession, Target
from steps.validate.suites import parse_suite


@pytest.fixture
def compiles(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The names of the templates Jinja compiles from now on."""
    names: list[str] = []
    compile_ = jinja2.Environment.compile

    def counted(
        self: jinja2.Environment, source: object, name: str | None = None, *args: object, **kw: object
    ) -> object:
        names.append(str(name))
        return compile_(self, source, name, *args, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(jinja2.Environment, "compile", counted)
    yield names


def test_a_template_compiles_once_for_every_environment_sharing_the_cache(compiles: list[str]) -> None:
    cache = MemoryBytecodeCache()
    sources = {"page.j2": "Hello {{ who | upper }}"}

    def environment() -> jinja2.Environment:
        return jinja2.Environment(loader=jinja2.DictLoader(sources), bytecode_cache=cache)

    first, second = environment(), environment()
    assert first.get_template("page.j2").render(who="hà nội") == "Hello HÀ NỘI"
    assert second.get_template("page.j2").render(who="huế") == "Hello HUẾ"
    assert compiles == ["page.j2"]
    sources["page.j2"] = "Bye {{ who }}"  # changed source: compiled again, never the old code
    assert environment().get_template("page.j2").render(who="x") == "Bye x"
    assert compiles == ["page.j2", "page.j2"]


def test_after_the_warm_up_a_site_build_compiles_no_template(tmp_path: Path, compiles: list[str]) -> None:
    TEMPLATES.clear()
    assert compile_templates() > 30
    warm_up = len(compiles)
    suite = parse_suite(
        """
name: bronze.s.d
expectations:
  - type: expect_column_values_to_not_be_null
    kwargs: {column: v}
  - type: expect_column_values_to_be_between
    kwargs: {column: v, min_value: 0, max_value: 1}
""",
        "bronze",
        "s.d",
        "s.yml",
    )
    session = GxSession(tmp_path / "docs", "run-1")
    session.validate(Target(suite=suite, params={}, frame=pd.DataFrame({"v": [0.5, 2.0]})))
    index = session.build_docs()
    assert compiles[warm_up:] == []  # GX's own views compile about 50 templates for this site
    assert "bronze.s.d" in index.read_text()
    assert docs_views.__name__ in str(session.context.get_config())  # the site names these views


def test_a_template_that_does_not_compile_is_left_to_the_site_build(monkeypatch: pytest.MonkeyPatch) -> None:
    broken = "{% if %}"
    original = jinja2.PackageLoader.get_source

    def source(self: jinja2.PackageLoader, environment: jinja2.Environment, template: str) -> tuple[str, str, object]:
        text, filename, uptodate = original(self, environment, template)
        return (broken if template == "collapse.j2" else text), filename, uptodate

    monkeypatch.setattr(jinja2.PackageLoader, "get_source", source)
    TEMPLATES.clear()
    every = len(docs_views.PageView().env.list_templates())
    assert compile_templates() == every - 1
