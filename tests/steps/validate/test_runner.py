"""The GX runner in-process: suites become GX suites intact, validation runs offline, Data Docs render."""

from __future__ import annotations

import ast
import socket
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from steps.errors import ConfigError
from steps.validate.report import condense
from steps.validate.runner import GxSession, Target, to_gx_suite
from steps.validate.suites import available_suites, load_suite, parse_suite
from tests.browser import external_references
from tests.conftest import REPO


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Fail any connection attempt that is not to this machine (GX must never phone home)."""
    attempts: list[Any] = []
    real_connect = socket.socket.connect

    def guarded(self: socket.socket, address: Any) -> Any:
        host = address[0] if isinstance(address, tuple) else str(address)
        if host not in ("127.0.0.1", "::1", "localhost") and self.family != socket.AF_UNIX:
            attempts.append(address)
            raise OSError(f"network access attempted: {address}")
        return real_connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", guarded)
    return attempts


def test_every_shipped_suite_builds_without_losing_an_expectation() -> None:
    for gate in ("bronze", "gold"):
        for dataset in available_suites(gate):  # type: ignore[arg-type]
            suite = load_suite(gate, dataset)  # type: ignore[arg-type]
            built = to_gx_suite(suite)
            assert built.name == suite.name
            assert len(built.expectations) == len(suite.expectations), suite.origin


def test_an_invalid_expectation_is_refused_not_silently_dropped() -> None:
    text = """
name: bronze.s.d
expectations:
  - type: expect_column_values_to_be_between
    kwargs: {column: x, min_value: 0}
  - type: expect_column_values_to_be_shiny
    kwargs: {column: x}
"""
    with pytest.raises(ConfigError) as err:
        to_gx_suite(parse_suite(text, "bronze", "s.d", "s.yml"))
    assert "s.yml: expectation #2 (expect_column_values_to_be_shiny) is not valid" in err.value.line()


def test_validation_runs_offline_and_renders_data_docs(tmp_path: Path, no_network: list[Any]) -> None:
    suite = parse_suite(
        """
name: bronze.s.d
meta: {tributary: {index_columns: [k]}}
expectations:
  - type: expect_column_values_to_be_between
    kwargs: {column: v, min_value: {$PARAMETER: low}}
  - type: expect_column_values_to_be_unique
    kwargs: {column: k}
""",
        "bronze",
        "s.d",
        "s.yml",
    )
    frame = pd.DataFrame({"k": ["a", "b", "b"], "v": pd.array([5, -1, 7], dtype="Int32")})
    session = GxSession(tmp_path / "docs", "run-7")
    result = session.validate(Target(suite=suite, params={"low": 0}, frame=frame))
    index = session.build_docs()

    outcome = condense("s.d", result, suite.index_columns)
    assert [f.short() for f in outcome.failures] == [
        "s.d: expect_column_values_to_be_between(v) 1 unexpected [-1] at k [b]",
        's.d: expect_column_values_to_be_unique(k) 2 unexpected ["b", "b"]',
    ]
    assert result["meta"]["run_id"]["run_name"] == "run-7"
    assert index == tmp_path / "docs" / "index.html" and index.is_file()
    (page,) = list((tmp_path / "docs" / "validations").rglob("*.html"))
    # Offline: nothing outside the site, the vendored scripts and styles beside the pages, and the validation
    # listed in plain HTML for viewers that run no script (the Argo UI).
    assert external_references(tmp_path / "docs") == []
    assert (tmp_path / "docs" / "static" / "vendor" / "jquery-3.7.1" / "jquery.min.js").is_file()
    # GX's animated GIFs (3.3 MB) that no page shows are not published
    assert sorted(p.name for p in (tmp_path / "docs" / "static" / "images").iterdir()) == [
        "favicon.ico",
        "logo-long.png",
    ]
    assert 'src="static/vendor/bootstrap-table-1.19.1/bootstrap-table.min.js"' in index.read_text()
    rel = page.relative_to(tmp_path / "docs").as_posix()
    assert f'<li><a href="{rel}">bronze.s.d</a> — Failed · ' in index.read_text()
    assert no_network == []
    assert not (Path.cwd() / "gx").exists(), "the ephemeral context writes no project folder"


def test_great_expectations_is_imported_only_inside_the_validate_stage() -> None:
    """Importing GX takes seconds: no other module may import it, and validate modules only lazily.

    Except the module of GX's view subclasses, which only GX's site builder and the warm-up import, once GX is;
    no module imports it at its top.
    """
    gx_only = {REPO / "steps" / "validate" / "docs_views.py"}
    offenders = []
    for path in sorted([*(REPO / "steps").rglob("*.py"), *(REPO / "workflows").rglob("*.py")]):
        tree = ast.parse(path.read_text(), str(path))
        tops = [n for n in tree.body if isinstance(n, ast.ImportFrom) and n.module == "steps.validate.docs_views"]
        offenders += [f"{path.relative_to(REPO)}:{node.lineno}" for node in tops]
        if path in gx_only:
            continue
        in_validate = path.is_relative_to(REPO / "steps" / "validate")
        nodes = tree.body if in_validate else list(ast.walk(tree))  # validate: only module-level imports count
        for node in nodes:
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            if any(n == "great_expectations" or n.startswith("great_expectations.") for n in names):
                offenders.append(f"{path.relative_to(REPO)}:{node.lineno}")
    assert offenders == []
