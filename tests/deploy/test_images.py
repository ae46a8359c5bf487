"""The Dockerfiles: pinned bases, one extra per stage, dependencies before code, non-root, read-only friendly.

No Docker engine here, so the files are read and checked; the builds run where skaffold runs.
"""

from __future__ import annotations

import re
import tomllib

import pytest

from tests.deploy.manifests import IMAGES, REPO

# Which optional-dependency group each stage image installs (None: the core dependencies only).
# Every stage image installs the core and the extra named after its stage (empty for freshness and summary).
STAGE_EXTRAS = {stage: stage for stage in ("verify", "freshness", "ingest", "validate", "dbt", "summary")}
DIGEST = re.compile(r"@sha256:[0-9a-f]{64}\b")


def _instructions(stage: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of images/<stage>/Dockerfile, continuation lines joined, comments dropped."""
    text = (IMAGES / stage / "Dockerfile").read_text()
    lines, current = [], ""
    for raw in text.splitlines():
        if raw.lstrip().startswith("#") and not current:
            continue
        current += raw.rstrip("\\").strip() + " " if raw.rstrip().endswith("\\") else raw.strip()
        if not raw.rstrip().endswith("\\"):
            if current.strip():
                lines.append(current.strip())
            current = ""
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1] if " " in line else "") for line in lines]


def test_base_image_is_pinned_by_digest_and_non_root() -> None:
    steps = _instructions("base")
    froms = [arg for ins, arg in steps if ins == "FROM"]
    # the registry base is a build arg (a stand-in where no registry is reachable) whose default stays pinned
    assert froms == ["${PYTHON_IMAGE}"]
    default = next(arg for ins, arg in steps if ins == "ARG" and arg.startswith("PYTHON_IMAGE="))
    assert default.startswith("PYTHON_IMAGE=python:3.11-slim") and DIGEST.search(default)
    users = [arg for ins, arg in steps if ins == "USER"]
    assert users and re.fullmatch(r"(\d+)(:\d+)?", users[-1]) and int(users[-1].split(":")[0]) >= 10000
    env = " ".join(arg for ins, arg in steps if ins == "ENV")
    for variable in ("HOME=/tmp", "MPLCONFIGDIR=/tmp", "XDG_CACHE_HOME=/tmp", "PYTHONDONTWRITEBYTECODE=1"):
        assert variable in env, f"base image: {variable} (read-only root filesystem)"


@pytest.mark.parametrize("stage", STAGE_EXTRAS)
def test_stage_image(stage: str) -> None:
    steps = _instructions(stage)
    text = (IMAGES / stage / "Dockerfile").read_text()
    # Built FROM the shared base that skaffold passes in (requires + alias BASE).
    arg_base = re.search(r"^ARG BASE\b", text, re.MULTILINE)
    from_base = re.search(r"^FROM \$\{BASE\}$", text, re.MULTILINE)
    assert arg_base and from_base and arg_base.start() < from_base.start(), "ARG BASE must come before FROM ${BASE}"
    assert [arg for ins, arg in steps if ins == "FROM"] == ["${UV_IMAGE} AS uv", "${BASE}"]
    assert ("ARG", "UV_IMAGE=ghcr.io/astral-sh/uv:0.13.9") in steps  # the Makefile's uv version
    # Only this stage's extra, resolved against the lock.
    install = next(arg for ins, arg in steps if ins == "RUN" and "uv pip install" in arg)
    assert "-c /src/lock.txt" in install and "-r /src/pyproject.toml" in install
    extras = re.findall(r"--extra (\S+)", install)
    assert extras == [STAGE_EXTRAS[stage]]
    assert "--compile-bytecode" in install, "bytecode is compiled at build time (read-only root filesystem)"
    # The files the install reads are COPYed: podman's builder keys its layer cache on a COPY's content but not on a
    # bind mount's, so a bind-mounted lock that changed would silently reuse the old dependency layer.
    assert "type=bind" not in install
    copied = " ".join(arg for ins, arg in steps if ins == "COPY")
    assert all(name in copied for name in ("pyproject.toml", "README.md", "requirements/lock.txt"))
    # Dependencies in their own layer, before the code.
    order = [arg for ins, arg in steps if ins in ("RUN", "COPY")]
    assert order.index(install) < next(i for i, a in enumerate(order) if a.startswith("steps/"))
    # Non-root numeric user last, and the stage's entry point.
    users = [arg for ins, arg in steps if ins == "USER"]
    assert users[-1] == "10001:10001"
    assert f'"-m", "steps.{stage}"' in dict(steps)["ENTRYPOINT"]
    ignore = (IMAGES / stage / "Dockerfile.dockerignore").read_text().splitlines()
    assert ignore[1:3] == ["*", "!pyproject.toml"] or "*" in ignore
    # The replay server is development-only: it lives in workflows/, which no stage image copies or is sent.
    assert not any(arg.startswith("workflows") for ins, arg in steps if ins == "COPY"), "the replay server stays out"
    assert not any(line.startswith("!workflows") for line in ignore), "the replay server stays out"
    assert not (REPO / "steps" / "replay").exists(), "the replay server lives in workflows/replay"


def test_every_extra_a_stage_installs_exists() -> None:
    extras = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    for stage, extra in STAGE_EXTRAS.items():
        assert extra is None or extra in extras, f"{stage}: pyproject.toml has no extra {extra!r}"


def test_dbt_image_bakes_and_parses_the_project() -> None:
    steps = _instructions("dbt")
    env = " ".join(arg for ins, arg in steps if ins == "ENV")
    assert "TRIBUTARY_DBT_PROJECT_DIR=/app/dbt" in env
    assert "TRIBUTARY_DBT_WORK_DIR=/tmp/tributary-dbt" in env
    assert "DBT_TARGET_PATH=/tmp/" in env and "DBT_LOG_PATH=/tmp/" in env
    assert ("COPY", "dbt/ /app/dbt/") in steps
    parse = next(arg for ins, arg in steps if ins == "RUN" and "dbt parse" in arg)
    assert "--target trino" in parse and "--target-path /tmp/" in parse
    ignore = (IMAGES / "dbt" / "Dockerfile.dockerignore").read_text().splitlines()
    assert {"!dbt/", "dbt/target/", "dbt/logs/"} <= set(ignore)


def _stages(image: str) -> tuple[dict[str, str], list[tuple[str, list[tuple[str, str]]]]]:
    """Global ARG defaults (before the first FROM) and the build stages: (FROM arguments, instructions)."""
    global_args: dict[str, str] = {}
    stages: list[tuple[str, list[tuple[str, str]]]] = []
    for ins, arg in _instructions(image):
        if ins == "FROM":
            stages.append((arg, []))
        elif not stages:
            assert ins == "ARG", f"{image}: only ARG may come before the first FROM, not {ins}"
            name, _, default = arg.partition("=")
            global_args[name] = default.strip('"')
        else:
            stages[-1][1].append((ins, arg))
    return global_args, stages


def test_hive_metastore_image() -> None:
    global_args, stages = _stages("hive-metastore")
    text = (IMAGES / "hive-metastore" / "Dockerfile").read_text()
    base = r"apache/hive:standalone-metastore-4\.[12]\.\d+(@sha256:[0-9a-f]{64})?"
    final_from, final = stages[-1]
    assert re.fullmatch(base, final_from), final_from
    for from_, _ in stages[:-1]:
        assert re.fullmatch(base + r" AS [a-z-]+", from_), f"helper stages use the same pinned base: {from_}"

    # No build argument is required: every ARG has a default, in the stage or globally (skaffold passes none).
    args = dict(global_args)
    for _, steps in stages:
        for ins, arg in steps:
            if ins != "ARG":
                continue
            name, eq, default = arg.partition("=")
            if eq:
                args[name] = default.strip('"')
            else:
                assert name in global_args, f"ARG {name} has no default and no global default: the build would need it"
    empty = {name for name, value in args.items() if value == ""}
    assert empty == {"AWS_SDK_BUNDLE_SHA256"}, f"ARGs without a usable default: {empty}"
    assert 'if [ -n "$AWS_SDK_BUNDLE_SHA256" ]' in text, "the optional sha256 pin is checked only when given"
    assert args["HADOOP_VERSION"] == "3.4.1", "Hive 4.1/4.2 ship Hadoop 3.4.1"
    assert args["AWS_SDK_VERSION"] == "2.24.6", "hadoop-aws 3.4.1 is built against AWS SDK v2 2.24.6"
    assert args["MAVEN_REPOSITORY"] == "https://repo1.maven.org/maven2"
    assert re.fullmatch(r"[0-9a-f]{64}", args["POSTGRES_JDBC_SHA256"])

    # The final stage fetches only with a pinned sha256; whatever has no pin is fetched in a helper stage,
    # verified there against the checksum Maven Central publishes beside it, and only then copied over.
    final_adds = [arg for ins, arg in final if ins == "ADD"]
    assert len(final_adds) == 1 and "postgresql-${POSTGRES_JDBC_VERSION}.jar" in final_adds[0]
    for add in final_adds:
        assert "--checksum=sha256:${POSTGRES_JDBC_SHA256}" in add and add.startswith("--chmod=0644 ")
        assert "${MAVEN_REPOSITORY}/" in add
    (helper_from, helper), *_ = stages[:-1]
    helper_name = helper_from.rsplit(" AS ", 1)[1]
    helper_adds = " ".join(arg for ins, arg in helper if ins == "ADD")
    jar = "${MAVEN_REPOSITORY}/software/amazon/awssdk/bundle/${AWS_SDK_VERSION}/bundle-${AWS_SDK_VERSION}.jar"
    assert f"{jar} " in helper_adds and f"{jar}.sha1 " in helper_adds
    verify = next(arg for ins, arg in helper if ins == "RUN")
    assert "sha1sum -c -" in verify and '"$jar.sha1"' in verify and "set -eu" in verify
    copies = [arg for ins, arg in final if ins == "COPY"]
    assert copies == [f"--from={helper_name} --chmod=0644 /fetch/bundle-${{AWS_SDK_VERSION}}.jar /opt/hive/lib/"]
    runs = " ".join(arg for _, steps in stages for ins, arg in steps if ins == "RUN")
    assert not re.search(r"\b(curl|wget)\b", runs)
    assert "hadoop-aws-${HADOOP_VERSION}.jar" in text and "ln -s" in text
    users = [arg for ins, arg in final if ins == "USER"]
    assert users[-1] == "10001:10001"


def test_images_doc_reports_each_stage_size() -> None:
    doc = (REPO / "docs/images.md").read_text()
    for stage in STAGE_EXTRAS:
        assert re.search(rf"^\|\s*`?tributary-{stage}`?\s*\|.*\d+\s*MB", doc, re.MULTILINE), (
            f"docs/images.md: size of {stage}"
        )
