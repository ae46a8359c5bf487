"""``tributary run``: the rendered WorkflowTemplate executed on this machine, each task a process or a container.

The spec is the one ``tributary render`` writes (rendered in-process, or read from a file with ``--spec``); this
module only supplies the local stand-ins for what the cluster provides: the ``tributary-config`` ConfigMap, the
Secrets (from the process environment), the runtime environment, and the launcher that starts each task (a warm
fork, a fresh process, or the stage's container image).
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import sys
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, TextIO

from steps.errors import StepError
from steps.freshness.trigger import ScheduledRun
from steps.names import CONFIG_KEY, CONFIG_MAP, LAKE_SECRET, WEBHOOK_KEY
from workflows.local import interrupts
from workflows.local.execute import LocalConfigMap, LocalResources, LocalWorkflow
from workflows.local.lakelock import LakeBusyError, LockInterruptedError, acquire, lake_lock
from workflows.local.launch import Launcher, ProcessLauncher, runtime_env
from workflows.local.model import WorkflowSpec
from workflows.local.owner import Owner
from workflows.local.runner import FAILED
from workflows.local.spec import parse_workflow

EXIT_BAD_INPUT, EXIT_TRANSIENT = 2, 75
REPO_DBT_DIR = Path(__file__).resolve().parents[2] / "dbt"
IMAGE_DBT_DIR = "/app/dbt"  # where the dbt image keeps the project (images/dbt/Dockerfile)
# ConfigMap keys of the cluster's tributary-config that a local run takes from this process when set.
PASSED_SETTINGS = (
    "TRIBUTARY_S3_ENDPOINT",
    "TRIBUTARY_S3_REGION",
    "TRIBUTARY_LOG_FORMAT",
    "DBT_TRINO_HOST",
    "DBT_TRINO_PORT",
    "DBT_TRINO_USER",
)
SECRET_SETTINGS = (WEBHOOK_KEY,)  # TRIBUTARY_* variables that are Secrets, never ConfigMap values


@dataclass(frozen=True)
class LocalRun:
    """What ``tributary run`` was asked to do."""

    run_id: str
    lake: str
    sources: tuple[str, ...]
    force: bool = False
    config: Path | None = None
    parallelism: int | None = None  # None: the spec's parallelism
    launcher: str = "warm"  # warm (forked from pre-imported interpreters), process, or container
    engine: str | None = None  # container launcher: podman or docker (default: $CONTAINER_ENGINE, else found)
    wait_lock_s: float = 30.0  # how long to wait for another run to release the lake before exit 75
    scheduled: ScheduledRun | None = None  # the schedule period this run belongs to (--schedule); None: manual
    backfill: str = ""  # SOURCE:START:END (tributary backfill): the spec's backfill parameter; empty: a regular run

    def parameters(self) -> dict[str, str]:
        """The workflow parameters of this run.

        ``force``; a scheduled run's schedule and fire time; ``backfill`` only when set, so a spec rendered before
        it existed still runs.
        """
        parameters = {"force": "true" if self.force else "false"}
        if self.scheduled is not None:
            parameters.update(self.scheduled.parameters())
        if self.backfill:
            parameters["backfill"] = self.backfill
        return parameters


def config_file(run: LocalRun) -> Path:
    """The pipeline configuration file of the run: ``--config``, else the packaged default."""
    if run.config is not None:
        return run.config
    return Path(str(resources.files("steps").joinpath("defaults/pipeline.yaml")))


def child_environment(run: LocalRun, base_urls: Mapping[str, str], *, config_path: str | None = None) -> dict[str, str]:
    """The local ``tributary-config`` ConfigMap: the settings every stage gets through ``envFrom``.

    The cluster's keys come from the run (lake, target, dbt project, config file) or from this process when set;
    other ``TRIBUTARY_*`` variables of this process (e.g. ``TRIBUTARY_LOG_LEVEL``) and the replay server's base
    URLs are added as extra keys, as an operator would add them to the ConfigMap. For containers, the dbt project
    and the pipeline configuration are where the cluster has them: in the image, and at ``config_path`` (the
    ConfigMap file the spec mounts).
    """
    if not (REPO_DBT_DIR / "dbt_project.yml").exists():
        raise SystemExit(f"tributary run: dbt project not found at {REPO_DBT_DIR}; run from a source checkout")
    extras = {
        k: v
        for k, v in os.environ.items()
        if k.startswith("TRIBUTARY_") and k not in SECRET_SETTINGS and not k.startswith("TRIBUTARY_WORKFLOW_")
    }
    env = {
        **extras,
        **{k: os.environ[k] for k in PASSED_SETTINGS if os.environ.get(k)},
        "TRIBUTARY_LAKE": run.lake,
        "TRIBUTARY_TARGET": os.environ.get("TRIBUTARY_TARGET", "local"),
        "TRIBUTARY_DBT_PROJECT_DIR": IMAGE_DBT_DIR if run.launcher == "container" else str(REPO_DBT_DIR),
        "TRIBUTARY_CONFIG": config_path if run.launcher == "container" and config_path else str(config_file(run)),
        "TRIBUTARY_LAUNCHER": run.launcher,
        "PYTHONUNBUFFERED": "1",
    }
    for name, url in base_urls.items():
        env[f"TRIBUTARY_SOURCE_{name.upper()}_BASE_URL"] = url
    return env


def local_resources(run: LocalRun, base_urls: Mapping[str, str], spec: WorkflowSpec | None = None) -> LocalResources:
    """ConfigMap, Secrets and runtime environment of a local run (a container's runtime environment is its image's)."""
    not_needed = {} if "://" in run.lake else {LAKE_SECRET: "the lake is a local folder"}
    data = child_environment(run, base_urls, config_path=_config_mount(spec) if spec is not None else None)
    return LocalResources(
        config_maps={CONFIG_MAP: LocalConfigMap(data=data, files={CONFIG_KEY: config_file(run)})},
        secrets=lambda _secret, key: os.environ.get(key),
        not_needed=not_needed,
        base_env={} if run.launcher == "container" else runtime_env(),
    )


def _config_mount(spec: WorkflowSpec) -> str | None:
    """Where the spec's templates mount the pipeline configuration file of the ``tributary-config`` ConfigMap."""
    for template in spec.templates.values():
        for path, volume in template.mounts.items():
            if volume.config_map == CONFIG_MAP:
                rel = dict(volume.items).get(CONFIG_KEY, CONFIG_KEY)
                return f"{path}/{rel}"
    return None


def rendered_spec(run: LocalRun, env_name: str) -> dict[str, Any]:
    """The WorkflowTemplate ``tributary render --env env_name`` writes, for the run's sources.

    Rendering imports Hera (over a second); the result depends only on the Argo package, the shared names, the
    environment values and the sources, so it is cached under the temp dir keyed by exactly those.
    """
    argo = Path(__file__).parents[1] / "argo"
    digest = hashlib.sha256()
    for path in sorted([*argo.glob("*.py"), *argo.glob("*.yaml"), argo.parents[1] / "steps" / "names.py"]):
        digest.update(path.name.encode() + path.read_bytes())
    overrides = [os.environ.get(k, "") for k in ("TRIBUTARY_IMAGE_REGISTRY", "TRIBUTARY_IMAGE_TAG")]
    digest.update(json.dumps([env_name, list(run.sources), overrides, sys.version]).encode())
    cache = Path(tempfile.gettempdir()) / "tributary-render" / f"{digest.hexdigest()[:24]}.json"
    if cache.exists():
        cached: dict[str, Any] = json.loads(cache.read_text())
        return cached
    from workflows.argo.render import render

    doc = render(env_name, config=run.config, sources=run.sources).workflow_template
    cache.parent.mkdir(parents=True, exist_ok=True)
    tmp = cache.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(json.dumps(doc))
    os.replace(tmp, cache)
    return doc


def execute(
    run: LocalRun,
    base_urls: Mapping[str, str],
    work_dir: Path,
    *,
    spec: Mapping[str, Any] | None = None,
    env_name: str = "dev",
    progress: TextIO = sys.stderr,
    launcher: Launcher | None = None,
    work_expected: bool = False,
) -> int:
    """Run the pipeline; returns the exit code ``tributary run`` ends with.

    Args:
        run: The run's options.
        base_urls: Source base URLs to override (the replay server's).
        work_dir: Folder for this run's logs, nodes.json and mounted folders.
        spec: A rendered WorkflowTemplate; default: render ``env_name`` now.
        env_name: Environment whose values (retries, deadlines, parallelism) the rendered spec uses.
        progress: Where each task's phase is printed.
        launcher: The launcher ``run.launcher`` names, if already started (:func:`workflows.local.warm.start_warm`);
            the caller closes it if the run is refused before it starts (closing twice is harmless).
        work_expected: The run will most likely ingest (:mod:`workflows.local.foresight`): a warm launcher starts
            the gates' and dbt's interpreters now rather than when the freshness task says so.
    """
    doc = spec if spec is not None else rendered_spec(run, env_name)
    parsed = parse_workflow(doc)
    resources = local_resources(run, base_urls, parsed)
    launcher = launcher or _launcher(run, resources)
    if work_expected and run.launcher == "warm":
        from workflows.local.warm import WarmLauncher

        if isinstance(launcher, WarmLauncher):
            launcher.expect_work({**resources.base_env, **resources.config_maps[CONFIG_MAP].data})
    workflow = LocalWorkflow(
        parsed,
        run_id=run.run_id,
        resources=resources,
        work_dir=work_dir,
        parameters=run.parameters(),
        parallelism=run.parallelism,
        progress=progress,
        launcher=launcher,
    )
    missing = workflow.missing_secrets()
    if missing:
        launcher.close()
        keys = " ".join(sorted({m.split("/", 1)[1] for m in missing}))
        progress.write(
            f"tributary run: the spec needs Secret keys this environment does not have: {', '.join(missing)}. "
            f"Fix: export {keys}\n"
        )
        return EXIT_BAD_INPUT
    if run.launcher == "container":
        from workflows.local.container import ContainerLauncher

        assert isinstance(launcher, ContainerLauncher)
        absent = launcher.missing_images(workflow.images())
        if absent:
            progress.write(
                f"tributary run: images not built on this machine: {', '.join(absent)}. "
                "Fix: make images (or build them with skaffold)\n"
            )
            return EXIT_BAD_INPUT
    with interrupts.caught(workflow.runner.interrupt) as received:
        code = _run_holding_lake(run, workflow, progress, received)
    if code is not None:
        return code
    if workflow.runner.interrupted is not None:
        name = signal.Signals(workflow.runner.interrupted).name
        progress.write(
            f"tributary run {run.run_id}: interrupted by {name}; every task stopped, the lake is released. "
            "Fix: run again to finish (completed work is kept)\n"
        )
        return interrupts.exit_code(workflow.runner.interrupted)
    codes = [r.exit_code for r in workflow.runner.runs.values() if r.phase == FAILED and r.exit_code]
    return next((c for c in codes if c in (EXIT_BAD_INPUT, EXIT_TRANSIENT)), 1)


def _run_holding_lake(run: LocalRun, workflow: LocalWorkflow, progress: TextIO, received: list[int]) -> int | None:
    """Run ``workflow`` holding the lake's lock, released last.

    Returns 0 when every task succeeded, None when the run failed or was interrupted (``workflow.runner`` says
    how), else the exit code of a run that never started (the lake busy, a signal while waiting, no lock possible).
    """

    def say(line: str) -> None:
        progress.write(f"tributary run: {line}\n")
        progress.flush()

    try:
        lock = lake_lock(run.lake, Owner(run_id=run.run_id), say=say)
        acquire(lock, run.lake, wait_s=run.wait_lock_s, say=say, interrupted=lambda: bool(received))
    except LakeBusyError as exc:
        workflow.launcher.close()
        say(exc.line())
        return EXIT_TRANSIENT
    except LockInterruptedError:
        workflow.launcher.close()
        say(f"interrupted by {signal.Signals(received[0]).name} while waiting for the lake; nothing ran")
        return interrupts.exit_code(received[0])
    except StepError as exc:  # the S3 lease: bad credentials or bucket (2), an unreachable endpoint (75)
        workflow.launcher.close()
        say(f"cannot lock the lake: {exc.line()}")
        return exc.exit_code
    except OSError as exc:
        workflow.launcher.close()
        say(f"cannot create the lake's lock file in {run.lake} ({exc.strerror}). Fix: pass --lake a writable folder")
        return EXIT_BAD_INPUT
    try:
        ok = workflow.run()
    finally:
        lock.release()  # last: every task, the exit handler and the launcher have ended
    return 0 if ok else None


def _launcher(run: LocalRun, resources: LocalResources) -> Launcher:
    """The launcher ``run.launcher`` names."""
    if run.launcher == "process":
        return ProcessLauncher()
    if run.launcher == "warm":
        from workflows.local.warm import WarmLauncher

        return WarmLauncher(resources.base_env)
    from workflows.argo.engine import find_engine
    from workflows.local.container import ContainerLauncher
    from workflows.local.task import Mount

    volumes = [] if "://" in run.lake else [Mount(Path(run.lake), run.lake)]
    duckdb = os.environ.get("TRIBUTARY_DUCKDB_PATH")
    if duckdb and not Path(duckdb).resolve().is_relative_to(Path(run.lake).resolve()):
        folder = Path(duckdb).resolve().parent
        volumes.append(Mount(folder, str(folder)))
    return ContainerLauncher(find_engine(run.engine), run_id=run.run_id, volumes=volumes)
