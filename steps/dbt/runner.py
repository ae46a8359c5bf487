"""Run ``dbt build`` for one layer in-process and condense its results for the run report."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import shutil
import tempfile
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from steps.dbt.freshness import project_fingerprint
from steps.errors import InputError, TransientError

log = logging.getLogger(__name__)

# Resource types reported per layer, in the order the summary prints them.
KINDS = ("model", "snapshot", "test", "unit_test", "seed")


@dataclass
class LayerBuild:
    """Outcome of one ``dbt build``."""

    success: bool
    counts: dict[str, dict[str, int]] = field(default_factory=dict)  # kind -> status -> n
    failures: list[str] = field(default_factory=list)  # "test not_null_x: Got 3 results"
    rows: dict[str, int] = field(default_factory=dict)  # model -> rows affected, when the adapter says


@dataclass(frozen=True)
class DbtProject:
    """The dbt project as this stage runs it: a parse and a build must agree on every argument but the command."""

    project_dir: Path
    work_dir: Path  # target/ and logs/
    target: str
    sources: Sequence[str] | None = None  # the enabled sources (dbt var tributary_sources); None: dbt's default
    log_level: str = "info"  # of the log file

    def args(self, command: str, *options: str) -> list[str]:
        """The arguments of ``dbt <command> <options>``."""
        args = [
            command,
            *options,
            "--project-dir",
            str(self.project_dir),
            "--profiles-dir",
            str(self.project_dir),
            "--target",
            self.target,
            "--target-path",
            str(self.work_dir / "target"),
            "--log-path",
            str(self.work_dir / "logs"),
            "--log-level-file",
            self.log_level,
            "--no-use-colors",
            "--quiet",
        ]
        if self.sources is not None:
            args += ["--vars", json.dumps({"tributary_sources": list(self.sources)})]
        return args

    @property
    def manifest_path(self) -> Path:
        """The ``manifest.json`` the last dbt command left in the target folder."""
        return self.work_dir / "target" / "manifest.json"

    def invoke(self, command: str, *options: str) -> Any:
        """Run dbt in-process, starting from this machine's saved parse and saving the one dbt leaves.

        The first command after :func:`dbt_parse` in this process starts from that parse's manifest instead, when
        nothing it was parsed from has changed (:func:`_parsed_ahead`).
        """
        from dbt.cli.main import dbtRunner  # dbt takes seconds to import: only the dbt stage pays for it

        self.work_dir.mkdir(parents=True, exist_ok=True)
        cache = _parse_cache(self.project_dir, self.target)
        _seed_partial_parse(cache, self.work_dir / "target")
        manifest = _parsed_ahead(self) if command != "parse" else None
        res = dbtRunner(manifest=manifest).invoke(self.args(command, *options))
        _keep_partial_parse(self.work_dir / "target", cache)
        return res

    def parse_inputs(self, env_names: Iterable[str]) -> str:
        """A digest of what a parse of this project reads.

        The arguments, the project's files, the profile, and the environment variables ``env_names`` (those the
        profile reads, and those dbt recorded while parsing the models).
        """
        digest = hashlib.sha256(json.dumps(self.args("")).encode())
        digest.update(project_fingerprint(self.project_dir).encode())
        profile = self.project_dir / "profiles.yml"
        digest.update(profile.read_bytes() if profile.is_file() else b"")
        digest.update(json.dumps({name: os.environ.get(name) for name in sorted(env_names)}).encode())
        return digest.hexdigest()

    def profile_env_names(self) -> set[str]:
        """The environment variables ``profiles.yml`` reads."""
        profile = self.project_dir / "profiles.yml"
        return set(_ENV_VAR.findall(profile.read_text(encoding="utf-8"))) if profile.is_file() else set()


_ENV_VAR = re.compile(r"""env_var\(\s*['"]([^'"]+)['"]""")


@dataclass(frozen=True)
class _Parsed:
    inputs: str  # DbtProject.parse_inputs at the time of the parse
    env_names: frozenset[str]
    manifest: Any


_ahead: _Parsed | None = None


def dbt_parse(project: DbtProject) -> bool:
    """``dbt parse`` with the arguments a build will use, saving the result for it; True when it parsed.

    The manifest is also kept in memory for this process's next dbt command (:func:`_parsed_ahead`): the warm
    interpreter the local runner forks the dbt tasks from parses ahead (:mod:`steps.dbt.warmup`), so each task
    starts with the project parsed.
    """
    global _ahead
    res = project.invoke("parse", "--no-write-json")
    if res.success and res.result is not None:
        names = frozenset(project.profile_env_names() | set(getattr(res.result, "env_vars", None) or ()))
        _ahead = _Parsed(project.parse_inputs(names), names, res.result)
    return bool(res.success)


def parsed_ahead() -> Any:
    """The manifest :func:`dbt_parse` left for this process's next dbt command (None: none), not taking it."""
    return _ahead.manifest if _ahead is not None else None


def _parsed_ahead(project: DbtProject) -> Any:
    """The manifest :func:`dbt_parse` left, once, if this project's parse inputs are what they were then; else None.

    dbt would read the very same parse back from its saved file, find nothing changed, and write it out again
    (about a second per build). Once only: a command changes the manifest it runs with (compiled code), so a
    later one in the same process parses as usual.
    """
    global _ahead
    ahead, _ahead = _ahead, None
    if ahead is None or project.parse_inputs(ahead.env_names) != ahead.inputs:
        return None
    return ahead.manifest


def dbt_build(project: DbtProject, layer: str, *, select: str | None = None) -> LayerBuild:
    """``dbt build --select tag:<layer>`` (or ``select``, within it); raises on failure with the failing nodes."""
    log.info("dbt build", extra={"layer": layer, "target": project.target, "select": select})
    res = project.invoke("build", "--select", select or f"tag:{layer}")
    if res.exception is not None:
        _raise_for_exception(res.exception, layer)
    build = _condense(res.result)
    if not res.success:
        shown = "; ".join(build.failures[:5]) + (
            f"; and {len(build.failures) - 5} more" if len(build.failures) > 5 else ""
        )
        raise BuildFailed(
            build,
            f"dbt build of layer {layer} failed: {shown or 'see the dbt log'}",
            f"inspect the failing models/tests (dbt log under {project.work_dir / 'logs'}); bad data stops here by "
            "design",
        )
    return build


class BuildFailed(InputError):
    """A ``dbt build`` whose models or tests failed; carries the build, so the stage result lists every failure."""

    def __init__(self, build: LayerBuild, what: str, fix: str) -> None:
        """The one-line error, and the build it describes."""
        self.build = build
        super().__init__(what, fix)


DOCS_FILES = {"index.html": "static_index.html", "manifest.json": "manifest.json", "catalog.json": "catalog.json"}


def dbt_docs(project: DbtProject) -> dict[str, Path]:
    """``dbt docs generate --static --no-compile``: the published file name → the file dbt wrote.

    ``--no-compile``: the build just compiled every model, and compiling again would cost seconds (the docs then
    show the models' source SQL, not the compiled SQL). ``--static`` writes one self-contained page, which opens
    from a local disk or an object store without a web server; it is published as ``index.html``.
    """
    res = project.invoke("docs", "generate", "--static", "--no-compile")
    if res.exception is not None or not res.success:
        raise InputError(
            f"dbt docs generate failed: {res.exception or 'see the dbt log'}",
            f"inspect the dbt log under {project.work_dir / 'logs'}, or set TRIBUTARY_DBT_DOCS=false",
        )
    target = project.work_dir / "target"
    return {name: target / produced for name, produced in DOCS_FILES.items()}


PARTIAL_PARSE = "partial_parse.msgpack"


def _parse_cache(project_dir: Path, target: str) -> Path:
    """A per-project copy of dbt's parse result, shared by the work folders of every lake on this machine.

    A full parse takes seconds; dbt checks a saved parse against the project files and the environment variables
    they use, so seeding a new work folder from this copy is safe: anything stale is simply parsed again.
    """
    key = hashlib.sha256(f"{project_dir.resolve()}|{target}".encode()).hexdigest()[:12]
    return Path(tempfile.gettempdir()) / "tributary-dbt-parse" / key / PARTIAL_PARSE


def _seed_partial_parse(cache: Path, target_dir: Path) -> None:
    """Start from this machine's saved parse, else from the one an image was built with.

    ``TRIBUTARY_DBT_PARSE_SEED`` names a read-only copy of the cache folder (the dbt image parses its project at
    build time and keeps it there): a pod starts with an empty /tmp, and would otherwise parse from scratch.
    """
    if (target_dir / PARTIAL_PARSE).exists():
        return
    seed = os.environ.get("TRIBUTARY_DBT_PARSE_SEED")
    for source in (cache, *([Path(seed) / cache.parent.name / PARTIAL_PARSE] if seed else [])):
        if source.exists():
            target_dir.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target_dir / PARTIAL_PARSE)
            return


def _keep_partial_parse(target_dir: Path, cache: Path) -> None:
    saved = target_dir / PARTIAL_PARSE
    if saved.exists():
        cache.parent.mkdir(parents=True, exist_ok=True)
        tmp = cache.with_suffix(f".{os.getpid()}.tmp")
        shutil.copyfile(saved, tmp)
        os.replace(tmp, cache)  # atomic: concurrent runs never see half a file


def _condense(result: Any) -> LayerBuild:
    counts: dict[str, Counter[str]] = {}
    build = LayerBuild(success=True)
    for r in getattr(result, "results", None) or []:
        node = r.node
        kind = str(node.resource_type)
        status = str(r.status)
        if kind != "operation":  # project hooks (the bronze views) are plumbing, reported only when they fail
            counts.setdefault(kind, Counter())[status] += 1
        if status in ("error", "fail"):
            build.success = False
            build.failures.append(f"{kind} {node.name}: {(r.message or '').strip()[:160]}")
        affected = (r.adapter_response or {}).get("rows_affected")
        if kind == "model" and isinstance(affected, int) and affected >= 0:
            build.rows[node.name] = affected
    build.counts = {k: dict(v) for k, v in counts.items()}
    return build


def _raise_for_exception(exc: BaseException, layer: str) -> None:
    text = str(exc)
    if ("lock" in text.lower() and "duckdb" in text.lower()) or "Could not set lock" in text:
        raise TransientError(
            f"dbt {layer}: the warehouse is locked by another process ({text[:160]})",
            "wait for the other run to finish, then retry",
        ) from None
    if "connect" in text.lower():
        raise TransientError(
            f"dbt {layer}: cannot reach the warehouse ({text[:200]})",
            "check the warehouse is up and reachable, then retry",
        ) from None
    raise InputError(
        f"dbt {layer}: {type(exc).__name__}: {text[:300]}", "fix the dbt project or profile (see the message)"
    ) from None
