"""The Dockerfiles: pinned bases, one stage Dockerfile with one extra per stage, dependencies before code, non-root.

No Docker engine here, so the files are read and checked; the builds run where skaffold runs.
"""

from __future__ import annotations

import re
import tomllib

import pytest
import yaml

from steps.names import STAGES
from tests.deploy.manifests import IMAGES, REPO
from workflows.argo.build import stage_recipes

DIGEST = re.compile(r"@sha256:[0-9a-f]{64}\b")
EXTRAS = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["optional-dependencies"]
STAGE_ARTIFACTS = {
    a["image"].removeprefix("tributary-"): a
    for a in yaml.safe_load((REPO / "skaffold.yaml").read_text())["build"]["artifacts"]
    if a["image"].removeprefix("tributary-") in STAGES
}


def _instructions(image: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of images/<image>/Dockerfile, continuation lines joined, comments dropped."""
    text = (IMAGES / image / "Dockerfile").read_text()
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


def test_one_dockerfile_builds_every_stage_image() -> None:
    global_args, stages = _stages("stage")
    # Built FROM the shared base that skaffold passes in (requires + alias BASE); dbt adds its project on top, and
    # the last stage, the default target, is the stage image itself.
    assert [from_ for from_, _ in stages] == ["${UV_IMAGE} AS uv", "${BASE} AS stage", "stage AS dbt", "stage"]
    assert global_args["BASE"] == "tributary-base"
    assert global_args["UV_IMAGE"] == "ghcr.io/astral-sh/uv:0.13.9"  # the Makefile's uv version
    assert stages[-1][1] == [], "the default target is the stage image unchanged"
    steps = stages[1][1]
    # The stage's extra only, resolved against the lock; an empty EXTRA installs the core and passes no --extra.
    install = next(arg for ins, arg in steps if ins == "RUN" and "uv pip install" in arg)
    assert "-c /src/lock.txt" in install and "-r /src/pyproject.toml" in install
    assert '${EXTRA:+--extra "$EXTRA"}' in install and install.count("--extra") == 1
    assert "--compile-bytecode" in install, "bytecode is compiled at build time (read-only root filesystem)"
    # pyarrow is trimmed in the install's own layer (removed files never reach the image); the script itself skips
    # images without pyarrow.
    assert install.endswith("&& sh /src/pyarrow-trim.sh")
    assert 'find_spec("pyarrow") is None' in (IMAGES / "pyarrow-trim.sh").read_text()
    # The files the install reads are COPYed: podman's builder keys its layer cache on a COPY's content but not on a
    # bind mount's, so a bind-mounted lock that changed would silently reuse the old dependency layer.
    assert "type=bind" not in install
    copied = " ".join(arg for ins, arg in steps if ins == "COPY")
    assert all(name in copied for name in ("pyproject.toml", "README.md", "requirements/lock.txt", "pyarrow-trim.sh"))
    # Dependencies in their own layer, before the code; EXTRA before the install, STAGE after the code, so images
    # with the same extra share every layer but the stage's own.
    order = [(ins, arg) for ins, arg in steps if ins in ("RUN", "COPY", "ARG")]
    code = order.index(("COPY", "steps/ /app/steps/"))
    assert order.index(("ARG", "EXTRA=")) < order.index(("RUN", install)) < code < order.index(("ARG", "STAGE"))
    # Non-root numeric user last; the entrypoint is fixed and runs the stage baked in from STAGE.
    for _, stage_steps in stages[1:3]:
        assert [arg for ins, arg in stage_steps if ins == "USER"][-1] == "10001:10001"
    assert ("ENV", "TRIBUTARY_STAGE=${STAGE}") in steps
    assert ("RUN", "python -m steps --help > /dev/null") in steps, "a STAGE that names no stage fails the build"
    assert dict(steps)["ENTRYPOINT"] == '["python", "-m", "steps"]'
    assert ("HEALTHCHECK", "NONE") in steps
    # The replay server is development-only: it lives in workflows/, which no stage image copies or is sent.
    assert not any(arg.startswith("workflows") for ins, arg in steps if ins == "COPY"), "the replay server stays out"
    ignore = (IMAGES / "stage" / "Dockerfile.dockerignore").read_text().splitlines()
    assert not any(line.startswith("!workflows") for line in ignore), "the replay server stays out"
    assert not (REPO / "steps" / "replay").exists(), "the replay server lives in workflows/replay"


def test_the_ignore_file_sends_only_what_the_images_copy() -> None:
    ignore = (IMAGES / "stage" / "Dockerfile.dockerignore").read_text().splitlines()
    rules = [line for line in ignore if line and not line.startswith("#")]
    assert rules[0] == "*", "everything is excluded first"
    kept = {line[1:] for line in rules if line.startswith("!")}
    assert kept == {"pyproject.toml", "README.md", "requirements/lock.txt", "images/pyarrow-trim.sh", "steps/", "dbt/"}
    assert not any("replay" in line for line in rules), "the replay server is in workflows/, never sent"
    assert {"dbt/target/", "dbt/logs/", "dbt/dbt_packages/"} <= set(rules)
    for dockerfile in IMAGES.glob("*/Dockerfile"):
        assert dockerfile.with_name("Dockerfile.dockerignore").is_file(), dockerfile


@pytest.mark.parametrize("stage", STAGES)
def test_each_stage_artifact_names_its_stage_and_extra(stage: str) -> None:
    docker = STAGE_ARTIFACTS[stage]["docker"]
    assert docker["dockerfile"] == "images/stage/Dockerfile"
    assert set(docker["buildArgs"]) == {"STAGE", "EXTRA"}
    assert docker["buildArgs"]["STAGE"] == stage
    # The extra named after the stage; an empty one is not passed, so stages with none share their layers.
    assert stage in EXTRAS, f"pyproject.toml has no extra {stage!r}"
    assert docker["buildArgs"]["EXTRA"] == (stage if EXTRAS[stage] else ""), (
        f"{stage}: EXTRA must be {stage!r} when pyproject.toml's extra {stage!r} is not empty, else empty"
    )
    assert docker.get("target", "") == ("dbt" if stage == "dbt" else ""), "only the dbt image has its own target"


def test_tributary_images_builds_what_skaffold_builds() -> None:
    recipes = stage_recipes()
    assert list(recipes) == list(STAGES)
    for stage, recipe in recipes.items():
        docker = STAGE_ARTIFACTS[stage]["docker"]
        assert recipe.dockerfile == IMAGES / "stage" / "Dockerfile" and recipe.context == REPO
        assert recipe.args == docker["buildArgs"] and recipe.target == docker.get("target", "")


def test_dbt_image_bakes_and_parses_the_project() -> None:
    steps = dict(_stages("stage")[1])["stage AS dbt"]
    env = " ".join(arg for ins, arg in steps if ins == "ENV")
    assert "TRIBUTARY_DBT_PROJECT_DIR=/app/dbt" in env
    assert "TRIBUTARY_DBT_WORK_DIR=/tmp/tributary-dbt" in env
    assert "DBT_TARGET_PATH=/tmp/" in env and "DBT_LOG_PATH=/tmp/" in env
    assert "TRIBUTARY_DBT_PARSE_SEED=/app/dbt-parse" in env
    assert ("COPY", "dbt/ /app/dbt/") in steps
    parse = next(arg for ins, arg in steps if ins == "RUN" and "dbt parse" in arg)
    assert "--target trino" in parse and "--target-path /tmp/" in parse
    assert any(ins == "RUN" and "python -m steps.dbt.warmup" in arg for ins, arg in steps)


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
    for stage in STAGES:
        assert re.search(rf"^\|\s*`?tributary-{stage}`?\s*\|.*\d+\s*MB", doc, re.MULTILINE), (
            f"docs/images.md: size of {stage}"
        )
