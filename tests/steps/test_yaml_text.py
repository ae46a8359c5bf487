"""YAML read with libyaml's C parser: the same documents and errors as PyYAML's own (steps.yaml_text)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from steps import yaml_text

STEPS = Path(__file__).resolve().parents[2] / "steps"
SHIPPED = sorted([*STEPS.glob("defaults/*.yaml"), *STEPS.glob("validate/suites/**/*.yml")])


def test_the_c_parser_is_used_when_pyyaml_has_it() -> None:
    assert yaml.__with_libyaml__  # the wheels pinned in requirements/lock.txt ship it
    assert yaml_text._LOADER is yaml.CSafeLoader


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.relative_to(STEPS).as_posix())
def test_every_shipped_file_reads_as_pyyaml_reads_it(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert yaml_text.safe_load(text) == yaml.safe_load(text)


def test_malformed_text_raises_pyyaml_s_error_at_the_same_place() -> None:
    text = "sources:\n  a: [1,\n"
    with pytest.raises(yaml.YAMLError) as c_parser:
        yaml_text.safe_load(text)
    with pytest.raises(yaml.YAMLError) as python_parser:
        yaml.safe_load(text)
    places = [(e.problem_mark.line, e.problem_mark.column) for e in (c_parser.value, python_parser.value)]  # type: ignore[attr-defined]
    assert places == [(2, 0), (2, 0)]
    assert c_parser.value.problem  # type: ignore[attr-defined]  # worded by libyaml: "did not find expected node content"


def test_only_plain_data() -> None:
    with pytest.raises(yaml.YAMLError):
        yaml_text.safe_load("!!python/object/apply:os.system ['true']")
