"""The ``tributary`` command: run (or backfill) the pipeline locally, render and submit the DAG, serve the replay."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from steps.layout import new_run_id

if TYPE_CHECKING:
    from steps.config import PipelineConfig
    from steps.errors import StepError
    from workflows.local.launch import Launcher
    from workflows.local.owner import LakeLock
    from workflows.replay.revisions import Revision

ENVIRONMENTS = ("dev", "staging", "prod")
EXIT_BAD_INPUT = 2  # steps.errors.EXIT_BAD_INPUT, without importing it for --help
LAUNCHERS = ("warm", "process", "container")  # workflows.local.LAUNCHERS, without importing it for --help


def _run(args: argparse.Namespace) -> int:
    from workflows.local.warm import start_warm

    # First of all: the warm interpreter imports the stages' libraries while this process imports its own and
    # checks and sets up the run.
    launcher = start_warm(args.launcher)
    try:
        return _checked_run(args, launcher)
    finally:
        if launcher is not None:
            launcher.close()  # the run closed it, unless it was refused before it started


def _checked_run(args: argparse.Namespace, launcher: Launcher | None) -> int:
    from steps.errors import StepError
    from workflows.argo.engine import EngineError
    from workflows.local.spec import UnsupportedSpec

    command = f"tributary {args.command}"  # run, or backfill (a run that ingests one source's range)
    try:
        return _run_pipeline(args, launcher)
    except StepError as exc:  # bad arguments, configuration or state, refused before anything is written
        return _refuse(command, exc)
    except UnsupportedSpec as exc:
        sys.stderr.write(f"{command}: the spec cannot run locally: {exc}\n")
        return EXIT_BAD_INPUT
    except (ValueError, EngineError) as exc:  # settings or sources that cannot be rendered, no container engine
        sys.stderr.write(f"{command}: {exc}\n")
        return EXIT_BAD_INPUT


def _refuse(command: str, exc: StepError) -> int:
    """Print the one line of a refused command and return its exit code (2: bad input)."""
    sys.stderr.write(f"{command}: {exc.line()}\n")
    return exc.exit_code


def _run_pipeline(args: argparse.Namespace, launcher: Launcher | None) -> int:
    from steps.errors import ConfigError
    from steps.layout import check_run_id
    from workflows.local import preflight
    from workflows.local.foresight import work_expected
    from workflows.local.run import LocalRun, execute

    # everything the run is given is checked before the first write (work folder, lock, tasks)
    backfilling = args.command == "backfill"
    default_id = new_run_id().replace("local-", "backfill-", 1) if backfilling else new_run_id()
    run_id = check_run_id(args.run_id) if args.run_id is not None else default_id
    preflight.check_lake(args.lake)
    if args.parallelism is not None and args.parallelism < 1:
        raise ConfigError(f"--parallelism {args.parallelism} is less than 1", "pass 1 or more, or leave it out")
    lake = str(Path(args.lake).resolve()) if "://" not in args.lake else args.lake
    config = args.config.resolve() if args.config else None
    snapshot = preflight.parse_snapshot(args.snapshot) if args.snapshot is not None else None
    revisions = _replay_revisions(args.revise, args.replay)
    scheduled = preflight.check_schedule(args.schedule, args.timezone, args.scheduled_at)
    spec = _read_spec(args.spec) if args.spec else None
    if spec is not None and scheduled is not None:
        preflight.check_schedule_parameters(_spec_parameters(spec), scheduled, args.spec)
    if spec is not None and args.sources is not None:
        raise ConfigError(
            "--sources cannot change a --spec file", "render the spec with those sources instead, or drop --sources"
        )
    if spec is not None:
        sources = _spec_sources(spec)
        loaded = preflight.load_run_config(config, sources)
    elif args.sources is not None:
        sources = preflight.check_sources(args.sources)
        loaded = preflight.load_run_config(config, sources)
    else:
        loaded = preflight.load_run_config(config, ())
        sources = tuple(loaded.enabled_sources())
    backfill = preflight.check_backfill(args.source, args.range, loaded, sources) if backfilling else None
    states = preflight.check_state(lake, (backfill.source,) if backfill else sources, force=args.force)
    expected = work_expected(loaded, sources, states, force=args.force, backfill=backfilling, scheduled=scheduled)
    run = LocalRun(
        run_id=run_id,
        lake=lake,
        sources=sources,
        force=args.force,
        config=config,
        parallelism=args.parallelism,
        launcher=args.launcher,
        wait_lock_s=args.wait_lock,
        scheduled=scheduled,
        backfill=str(backfill) if backfill else "",
    )
    work_dir = Path(args.work_dir or (Path(lake) / ".runs" if "://" not in lake else Path(".tributary"))) / run.run_id
    what = (
        f"backfill of {backfill.source} for {backfill.range} (other sources skipped, silver and gold rebuilt)"
        if backfill
        else f"sources {', '.join(sources)}{' (forced)' if run.force else ''}"
    )
    sys.stderr.write(
        f"tributary {args.command} {run.run_id}: lake {lake}, {what}, "
        f"spec {args.spec or f'rendered for {args.env}'}, launcher {run.launcher}\n"
    )
    if scheduled is not None:
        from steps.freshness.trigger import when

        tz = scheduled.schedule.timezone
        sys.stderr.write(
            f"tributary run {run.run_id}: {scheduled.describe()} of {scheduled.schedule.text()!r} ({tz}); "
            f"the next is {when(scheduled.next_at, tz)}\n"
        )
    if not args.replay:
        return execute(run, {}, work_dir, spec=spec, env_name=args.env, launcher=launcher, work_expected=expected)
    from workflows.replay.server import PRE_REFORM_SNAPSHOT, ReplayServer

    served = _replayed(loaded, sources)
    replay = ReplayServer(snapshot=snapshot or PRE_REFORM_SNAPSHOT, revisions=revisions)
    with replay as server, _replay_keys(loaded, served):
        not_served = ", ".join(s for s in sources if s not in served)
        revised = f"; revised: {', '.join(args.revise)}" if args.revise else ""
        sys.stderr.write(
            f"replay server {server.url} (provinces snapshot {snapshot or PRE_REFORM_SNAPSHOT}) serves "
            f"{', '.join(served) or 'no source'}{f'; not replayed: {not_served}' if not_served else ''}{revised}\n"
        )
        urls = {name: server.base_url(kind) for name, kind in served.items()}
        return execute(run, urls, work_dir, spec=spec, env_name=args.env, launcher=launcher, work_expected=expected)


def _replay_revisions(texts: list[str], replay: bool) -> list[Revision]:
    """The ``--revise`` values, checked before the run starts (they only make sense with ``--replay``)."""
    from steps.errors import ConfigError
    from workflows.replay.revisions import parse_revision

    if texts and not replay:
        raise ConfigError("--revise needs --replay: only the replay server serves revised values", "add --replay")
    try:
        return [parse_revision(text) for text in texts]
    except ValueError as exc:
        raise ConfigError(f"--revise: {exc}", "see `tributary run --help` for the form") from None


def _replayed(config: PipelineConfig, sources: tuple[str, ...]) -> dict[str, str]:
    """The run's sources a replay provider serves, each with its kind (``tributary run --replay``)."""
    from workflows.replay.registry import for_source

    kinds = {name: config.source(name).kind for name in sources}
    return {name: kind for name, kind in kinds.items() if for_source(kind) is not None}


@contextlib.contextmanager
def _replay_keys(config: PipelineConfig, served: Mapping[str, str]) -> Iterator[None]:
    """Give each replayed source's secret variables the replay's own key while the run lasts.

    The replay accepts only keys of the public API's shape, and a real key has no business reaching it: the
    variables the configuration names (``api_key_env``, ``token_env``) hold the provider's stand-in key, and
    whatever this shell had there is back afterwards.
    """
    from workflows.replay.registry import for_source

    keys: dict[str, str] = {}
    for name, kind in served.items():
        registration = for_source(kind)
        if registration is not None and registration.key is not None:
            keys.update(dict.fromkeys(config.secret_variables(name), registration.key))
    saved = {name: os.environ.get(name) for name in keys}
    os.environ.update(keys)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _seconds(text: str) -> float:
    """Parse ``--wait-lock``: a number of seconds, zero or more."""
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not value >= 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds; use e.g. 0, 30 or 600")
    return value


def _lake_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--lake", default="lake", help="lake root: a folder (default ./lake) or s3://bucket")


def _config_option(parser: argparse.ArgumentParser, default: Path | None) -> None:
    parser.add_argument(
        "--config",
        type=Path,
        default=default,
        help="pipeline configuration YAML (default: $TRIBUTARY_CONFIG, else the packaged one)",
    )


def _wait_lock_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--wait-lock",
        type=_seconds,
        default=30.0,
        metavar="SECONDS",
        help="how long to wait for another run on the same lake to finish before giving up with exit 75 (default 30)",
    )


def _rebuild(args: argparse.Namespace) -> int:
    """Run the dbt stage once with ``--rebuild true``: gold replays the history and rebuilds silver with it."""
    import subprocess

    from workflows.local.run import LocalRun, child_environment

    lake = str(Path(args.lake).resolve()) if "://" not in args.lake else args.lake
    config = args.config.resolve() if args.config else None
    run = LocalRun(
        run_id=args.run_id or new_run_id().replace("local-", "rebuild-", 1),
        lake=lake,
        sources=_enabled_sources(config),
        config=config,
        launcher="process",
    )
    what = "silver" if args.layer == "silver" else "silver and gold, gold's history replayed"
    sys.stderr.write(f"tributary rebuild {run.run_id}: lake {lake}, {what} from the committed bronze\n")
    argv = ["--layer", args.layer, "--run-id", run.run_id, "--force", "true", "--rebuild", "true"]
    env = {**os.environ, **child_environment(run, {})}

    def say(line: str) -> None:
        sys.stderr.write(f"tributary rebuild: {line}\n")

    # A rebuild rewrites the warehouse: it holds the lake like a run does, so neither sees the other half-done.
    lock = _hold_lake(lake, run.run_id, args.wait_lock, say)
    if isinstance(lock, int):
        return lock
    try:
        return subprocess.run([sys.executable, "-m", "steps.dbt", *argv], env=env, check=False).returncode
    finally:
        lock.release()


def _prune(args: argparse.Namespace) -> int:
    """Run the prune (``steps.prune``) on the lake, holding the lake's lock as a run does."""
    from steps.errors import EXIT_BAD_INPUT
    from steps.prune import command
    from steps.prune.options import argv_of

    lake = str(Path(args.lake).resolve()) if "://" not in args.lake else args.lake

    def say(line: str) -> None:
        sys.stderr.write(f"tributary prune: {line}\n")

    if "://" not in lake and not Path(lake).is_dir():
        say(f"lake {lake} is not a folder. Fix: pass --lake the lake of your runs")
        return EXIT_BAD_INPUT
    os.environ.update({"TRIBUTARY_LAKE": lake, "TRIBUTARY_TARGET": os.environ.get("TRIBUTARY_TARGET") or "local"})
    if args.config is not None:
        os.environ["TRIBUTARY_CONFIG"] = str(args.config.resolve())
    # Holding the lock, no run is writing: nothing uncommitted of a running run can be taken for a leftover.
    # A dry run deletes nothing and needs no lock.
    lock: LakeLock | None = None
    if not args.dry_run:
        held = _hold_lake(lake, new_run_id().replace("local-", "prune-", 1), args.wait_lock, say)
        if isinstance(held, int):
            return held
        lock = held
    try:
        return command.main(argv_of(args))
    finally:
        if lock is not None:
            lock.release()


def _hold_lake(lake: str, run_id: str, wait_s: float, say: Callable[[str], None]) -> LakeLock | int:
    """The lake's lock, acquired for ``run_id`` as a run holds it; else the exit code, the reason said on stderr."""
    from steps.errors import EXIT_BAD_INPUT, EXIT_TRANSIENT, StepError
    from workflows.local.lakelock import LakeBusyError, acquire, lake_lock
    from workflows.local.owner import Owner

    try:
        lock = lake_lock(lake, Owner(run_id=run_id), say=say)
        acquire(lock, lake, wait_s=wait_s, say=say, interrupted=lambda: False)
    except LakeBusyError as exc:
        say(exc.line())
        return EXIT_TRANSIENT
    except StepError as exc:
        say(f"cannot lock the lake: {exc.line()}")
        return exc.exit_code
    except OSError as exc:
        say(f"cannot create the lake's lock file in {lake} ({exc.strerror}). Fix: pass --lake a writable folder")
        return EXIT_BAD_INPUT
    return lock


def _read_spec(path: Path) -> dict[str, object]:
    import yaml

    from steps.errors import ConfigError

    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        detail = " ".join(str(exc).split())[:200]
        raise ConfigError(f"cannot read --spec {path}: {detail}", "pass a file tributary render wrote") from None
    if not isinstance(doc, dict):
        raise ConfigError(f"--spec {path} is not a WorkflowTemplate document", "pass a file tributary render wrote")
    return doc


def _spec_sources(spec: dict[str, object]) -> tuple[str, ...]:
    """The sources a rendered spec fans out to (its ingest tasks' ``source`` arguments)."""
    from workflows.local.spec import parse_workflow

    parsed = parse_workflow(spec)
    return tuple(t.arguments["source"] for t in parsed.tasks if t.template == "ingest" and "source" in t.arguments)


def _spec_parameters(spec: dict[str, object]) -> tuple[str, ...]:
    """The workflow parameters a rendered spec declares."""
    from workflows.local.spec import parse_workflow

    return tuple(parse_workflow(spec).parameters)


def _enabled_sources(config: Path | None) -> tuple[str, ...]:
    from steps.config import load_config
    from steps.errors import StepError

    try:
        return tuple(load_config(config).enabled_sources())
    except StepError as exc:
        sys.stderr.write(f"tributary: {exc.line()}\n")
        raise SystemExit(exc.exit_code) from None


def _prepare(args: argparse.Namespace) -> int:
    """The one-time work of a machine, done ahead: the rendered spec of the enabled sources and dbt's saved parse."""
    import subprocess
    import time

    from workflows.local.run import REPO_DBT_DIR, LocalRun, rendered_spec

    config = args.config.resolve() if args.config else None
    sources = _enabled_sources(config)
    started = time.monotonic()
    rendered_spec(LocalRun(run_id="prepare", lake="lake", sources=sources, config=config), args.env)
    sys.stderr.write(f"spec rendered for {args.env} ({', '.join(sources)}) in {time.monotonic() - started:.1f}s\n")
    env = {**os.environ, "TRIBUTARY_DBT_PROJECT_DIR": str(REPO_DBT_DIR)}
    if config is not None:
        env["TRIBUTARY_CONFIG"] = str(config)
    # a process of its own: the dbt stage's libraries stay out of this one
    return subprocess.run([sys.executable, "-m", "steps.dbt.warmup"], env=env, check=False).returncode


def _render(args: argparse.Namespace) -> int:
    from workflows.argo.render import render, write
    from workflows.argo.settings import SettingsError

    config = args.config.resolve() if args.config else None
    try:
        rendered = render(
            args.env, config=config, sources=_enabled_sources(config), registry=args.registry, tag=args.tag
        )
    except (SettingsError, ValueError, RuntimeError) as exc:
        raise SystemExit(f"tributary render: {exc}") from None
    for path in write(rendered, args.out):
        sys.stdout.write(f"{path}\n")
    return 0


def _submit(args: argparse.Namespace) -> int:
    from workflows.argo.settings import SettingsError, load_environment
    from workflows.argo.submit import (
        SubmitError,
        default_submitter,
        request_body,
        server_from_env,
        submit,
        submit_request,
    )

    try:
        env = load_environment(args.env)
        namespace = args.namespace or os.environ.get("ARGO_NAMESPACE") or env.namespace
        request = submit_request(namespace, force=args.force, env_name=args.env, submitter=default_submitter())
        if args.dry_run:
            sys.stdout.write(json.dumps(request_body(request), indent=2) + "\n")
            return 0
        server = server_from_env({**os.environ, "ARGO_NAMESPACE": namespace}, env.namespace)
        name = submit(server, request)
    except (SettingsError, SubmitError) as exc:
        raise SystemExit(f"tributary submit: {exc}") from None
    sys.stdout.write(f"{name}\n")
    sys.stderr.write(f"submitted {name} in namespace {namespace}; watch it with: argo watch -n {namespace} {name}\n")
    return 0


def _images(args: argparse.Namespace) -> int:
    from steps.names import STAGES
    from workflows.argo.build import BuildError, build_images
    from workflows.argo.engine import EngineError
    from workflows.argo.settings import SettingsError

    stages = tuple(s for s in (args.stages or "").split(",") if s) or STAGES
    unknown = sorted(set(stages) - set(STAGES))
    if unknown:
        raise SystemExit(f"tributary images: unknown stages {unknown}; stages are {', '.join(STAGES)}")
    try:
        build_images(args.env, stages=stages, environ=dict(os.environ), report=sys.stdout.write)
    except (BuildError, EngineError, SettingsError) as exc:
        raise SystemExit(f"tributary images: {exc}") from None
    return 0


def _status(args: argparse.Namespace) -> int:
    from workflows.status.command import main as status_main

    return status_main(args)


def _replay_server(argv: list[str]) -> int:
    from workflows.replay.__main__ import main as replay_main

    return replay_main(argv)


def _run_options(parser: argparse.ArgumentParser, default_config: Path | None, run_id_prefix: str) -> None:
    """The options ``tributary run`` and ``tributary backfill`` share: where, how and with what the DAG runs."""
    parser.add_argument(
        "--replay",
        action="store_true",
        help="serve every source that has a replay provider from the bundled replay server (offline, no real keys)",
    )
    _lake_option(parser)
    parser.add_argument("--snapshot", help="provinces API snapshot date for --replay (YYYY-MM-DD)")
    parser.add_argument(
        "--revise",
        action="append",
        default=[],
        metavar="PROVIDER:KEY=VALUE",
        help="with --replay, serve a revised value instead of the replay's data (repeatable), e.g. "
        "worldbank:NY.GDP.MKTP.CD:2020=346615509519.5 (=null withdraws it)",
    )
    _config_option(parser, default_config)
    parser.add_argument("--run-id", help=f"run id (default: {run_id_prefix}-<UTC timestamp>)")
    parser.add_argument("--work-dir", help="where task logs and outputs go (default: <lake>/.runs)")
    parser.add_argument(
        "--env",
        choices=ENVIRONMENTS,
        default="dev",
        help="render the spec with this environment's retries, deadlines and parallelism (default dev)",
    )
    parser.add_argument("--spec", type=Path, help="run this rendered workflowtemplate.yaml instead of rendering one")
    parser.add_argument("--parallelism", type=int, help="tasks at once (default: the spec's parallelism)")
    _wait_lock_option(parser)
    parser.add_argument(
        "--launcher",
        choices=LAUNCHERS,
        default="process" if os.environ.get("TRIBUTARY_WARM") == "0" else "warm",
        help="how each task starts: warm (forked from pre-imported interpreters, the default), process (a fresh "
        "interpreter each), container (the stage's image, as its pod; podman or docker, $CONTAINER_ENGINE)",
    )


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``tributary``."""
    parser = argparse.ArgumentParser(prog="tributary", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    default_config = Path(os.environ["TRIBUTARY_CONFIG"]) if os.environ.get("TRIBUTARY_CONFIG") else None

    run = sub.add_parser("run", help="run the rendered pipeline DAG locally (verify → … → summary, exit handler)")
    run.add_argument("--sources", help="comma-separated sources (default: every enabled source)")
    run.add_argument("--force", action="store_true", help="ingest even sources that are fresh")
    _run_options(run, default_config, "local")
    run.add_argument(
        "--schedule",
        metavar="CRON",
        help="run as the scheduled run of this cron schedule (several joined by ';'), as the CronWorkflow does: "
        "each source is ingested once per period unless max_age_days keeps it fresh until the next run "
        "(default: a manual run, judged by max_age_days)",
    )
    run.add_argument(
        "--timezone", help="IANA zone --schedule is read in (default UTC; crontab fires in the machine's zone)"
    )
    run.add_argument(
        "--scheduled-at",
        metavar="TIME",
        help="ISO 8601 fire time of --schedule this run belongs to (default: the latest one)",
    )
    run.set_defaults(func=_run)

    backfill = sub.add_parser(
        "backfill",
        help="re-ingest one source's range (a run ingesting only it), then rebuild silver and gold; its watermark "
        "and freshness stay as they were",
    )
    backfill.add_argument("source", help="source name from the pipeline configuration, e.g. worldbank")
    backfill.add_argument(
        "range",
        metavar="START:END",
        help="inclusive range: years for worldbank (2000:2005), dates for fred, eia, noaa and files "
        "(2020-01-01:2020-12-31), watermark column values for postgres",
    )
    _run_options(backfill, default_config, "backfill")
    backfill.set_defaults(func=_run, sources=None, force=False, schedule=None, timezone=None, scheduled_at=None)

    rebuild = sub.add_parser(
        "rebuild",
        help="rebuild the warehouse from the lake's committed bronze (gold: its SCD2 history replayed in ingest order)",
    )
    _lake_option(rebuild)
    rebuild.add_argument(
        "--layer",
        choices=["silver", "gold"],
        default="gold",
        help="silver: rebuild silver only; gold (default): replay every ingest into silver and gold's snapshots, "
        "then build gold",
    )
    _config_option(rebuild, default_config)
    rebuild.add_argument("--run-id", help="run id of the report (default: rebuild-<UTC timestamp>)")
    _wait_lock_option(rebuild)
    rebuild.set_defaults(func=_rebuild)

    prune = sub.add_parser(
        "prune",
        help="remove what the retention policy no longer keeps (raw pages, bronze, reports, quarantine), then "
        "checkpoint the warehouse",
    )
    _lake_option(prune)
    _config_option(prune, default_config)
    from steps.prune.options import add_arguments as prune_arguments

    prune_arguments(prune)
    _wait_lock_option(prune)
    prune.set_defaults(func=_prune)

    prepare = sub.add_parser(
        "prepare",
        help="do a machine's one-time work ahead (render the spec, parse the dbt project); make setup runs it",
    )
    prepare.add_argument(
        "--config",
        type=Path,
        default=default_config,
        help="pipeline configuration YAML (default: $TRIBUTARY_CONFIG, else the packaged one)",
    )
    prepare.add_argument("--env", choices=ENVIRONMENTS, default="dev", help="environment of the spec (default dev)")
    prepare.set_defaults(func=_prepare)

    render = sub.add_parser("render", help="write the WorkflowTemplate and CronWorkflow of an environment")
    render.add_argument("--env", choices=ENVIRONMENTS, required=True)
    render.add_argument(
        "--out",
        type=Path,
        required=True,
        help="folder for workflowtemplate.yaml and cronworkflow.yaml (e.g. charts/tributary/files/dev)",
    )
    render.add_argument(
        "--config", type=Path, help="pipeline configuration the ingest fan-out comes from (default: the packaged one)"
    )
    render.add_argument(
        "--registry", help="image registry (default: $TRIBUTARY_IMAGE_REGISTRY, else the environment's)"
    )
    render.add_argument("--tag", help="image tag (default: $TRIBUTARY_IMAGE_TAG, else the package version)")
    render.set_defaults(func=_render)

    submit = sub.add_parser(
        "submit", help="start a run of the WorkflowTemplate on an Argo server (ARGO_SERVER, ARGO_TOKEN)"
    )
    submit.add_argument("--env", choices=ENVIRONMENTS, required=True, help="environment (its namespace is the default)")
    submit.add_argument("--force", action="store_true", help="pass force=true: ingest and rebuild even when fresh")
    submit.add_argument("--namespace", help="namespace (default: $ARGO_NAMESPACE, else the environment's)")
    submit.add_argument("--dry-run", action="store_true", help="print the request instead of sending it")
    submit.set_defaults(func=_submit)

    images = sub.add_parser(
        "images",
        help="build the base and stage images with podman or docker ($CONTAINER_ENGINE), tagged as the spec names them",
    )
    images.add_argument("--env", choices=ENVIRONMENTS, default="dev", help="tag as this environment's spec (dev)")
    images.add_argument("--stages", help="comma-separated stages to build (default: all six)")
    images.set_defaults(func=_images)

    status = sub.add_parser(
        "status",
        help="where every enabled source stands (last ingest, SLA, last run, gates, quota, breaker); exit 1 when "
        "anything needs attention, for cron checks and probes",
    )
    from workflows.status.command import add_arguments as status_arguments

    status_arguments(status, ENVIRONMENTS, default_config)
    status.set_defaults(func=_status)

    # Its options belong to workflows.replay (see `tributary replay-server --help`); main() passes them through.
    sub.add_parser("replay-server", help="serve the bundled API replay data over HTTP", add_help=False)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``tributary`` console script."""
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["replay-server"]:
        return _replay_server(argv[1:])
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except KeyboardInterrupt:  # Ctrl-C before the run's own handler is in place (rendering, imports)
        sys.stderr.write(f"tributary {args.command}: interrupted\n")
        return 130


if __name__ == "__main__":
    sys.exit(main())
