"""The ``tributary`` command: run the pipeline locally, serve the replay API, render and submit the Argo DAG."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from steps.layout import new_run_id


def _run(args: argparse.Namespace) -> int:
    from workflows.local import LocalRun, execute, snapshot_date

    lake = str(Path(args.lake).resolve()) if "://" not in args.lake else args.lake
    config = args.config.resolve() if args.config else None
    sources = tuple(s for s in args.sources.split(",") if s) if args.sources else _enabled_sources(config)
    run = LocalRun(run_id=args.run_id or new_run_id(), lake=lake, sources=sources, force=args.force, config=config)
    work_dir = Path(args.work_dir or (Path(lake) / ".runs" if "://" not in lake else Path(".tributary"))) / run.run_id
    sys.stderr.write(
        f"tributary run {run.run_id}: lake {lake}, sources {', '.join(sources)}{' (forced)' if run.force else ''}\n"
    )
    if not args.replay:
        return execute(run, {}, work_dir)
    from steps.replay.server import PRE_REFORM_SNAPSHOT, ReplayServer

    snapshot = snapshot_date(args.snapshot) if args.snapshot else PRE_REFORM_SNAPSHOT
    with ReplayServer(snapshot=snapshot) as server:
        sys.stderr.write(f"replay server {server.url} (provinces snapshot {snapshot})\n")
        urls = {"worldbank": server.worldbank_base_url, "vn_provinces": server.provinces_base_url}
        return execute(run, {s: u for s, u in urls.items() if s in sources}, work_dir)


def _enabled_sources(config: Path | None) -> tuple[str, ...]:
    from steps.config import load_config
    from steps.errors import StepError

    try:
        return tuple(load_config(config).enabled_sources())
    except StepError as exc:
        raise SystemExit(f"tributary run: {exc.line()}") from None


def _replay_server(argv: list[str]) -> int:
    from steps.replay.__main__ import main as replay_main

    return replay_main(argv)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``tributary``."""
    parser = argparse.ArgumentParser(prog="tributary", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="run the whole pipeline locally (verify → … → summary)")
    run.add_argument("--replay", action="store_true", help="serve the sources from the bundled replay server")
    run.add_argument("--lake", default="lake", help="lake root: a folder (default ./lake) or s3://bucket")
    run.add_argument("--sources", help="comma-separated sources (default: every enabled source)")
    run.add_argument("--force", action="store_true", help="ingest even sources that are fresh")
    run.add_argument("--snapshot", help="provinces API snapshot date for --replay (YYYY-MM-DD)")
    run.add_argument("--config", type=Path, help="pipeline configuration YAML (default: the packaged one)")
    run.add_argument("--run-id", help="run id (default: local-<UTC timestamp>)")
    run.add_argument("--work-dir", help="where task logs and outputs go (default: <lake>/.runs)")
    run.set_defaults(func=_run)

    # Its options belong to steps.replay (see `tributary replay-server --help`); main() passes them through.
    sub.add_parser("replay-server", help="serve the bundled API replay data over HTTP", add_help=False)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``tributary`` console script."""
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["replay-server"]:
        return _replay_server(argv[1:])
    args = build_parser().parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
