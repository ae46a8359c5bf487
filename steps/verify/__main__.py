"""``python -m steps.verify --run-id ID [--sources a,b]``: check everything the run needs is there."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable

from steps.config import load_config
from steps.errors import EXIT_BAD_INPUT, EXIT_TRANSIENT, StepError
from steps.redact import redact_text
from steps.settings import load_settings
from steps.stage import StageContext, run_stage
from steps.verify.checks import check_lake, check_source, check_warehouse
from steps.warehouse import WarehouseSettings

log = logging.getLogger(__name__)


def main(argv: list[str] | None = None) -> int:
    """Run every check, print one line per problem, and exit with the most severe code."""
    parser = argparse.ArgumentParser(prog="python -m steps.verify", description=__doc__)
    parser.add_argument("--run-id", required=True)
    parser.add_argument("--sources", default="", help="comma-separated subset (default: every enabled source)")
    args = parser.parse_args(argv)

    def body(ctx: StageContext) -> int:
        config = load_config(ctx.settings.config)
        names = [n for n in args.sources.split(",") if n] or config.enabled_sources()
        checks: list[tuple[str, Callable[[], None]]] = [
            ("lake", lambda: check_lake(ctx.lake, ctx.run_id)),
            ("warehouse", lambda: check_warehouse(ctx.lake, load_settings(WarehouseSettings))),
        ]
        checks += [(f"source {n}", (lambda n=n: check_source(config, n))) for n in names]  # type: ignore[misc]
        ctx.lineage.read(*(d for n in names if n in config.sources for d in config.source(n).lineage_inputs()))
        problems: list[tuple[str, StepError]] = []
        lines: list[str] = []
        for what, check in checks:
            try:
                check()
                log.info("ok", extra={"check": what})
            except StepError as exc:
                problems.append((what, exc))
                lines.append(redact_text(f"{what}: {exc.line()}"))
                sys.stderr.write(f"verify: {lines[-1]}\n")
        # Every problem line, named by its check, stays in the stage result: the run report and the alert show them
        # (in the cluster they would otherwise be only in the pod's log).
        ctx.metrics.update(checks=[w for w, _ in checks], problems=lines)
        if not problems:
            return 0
        # the runner shows a task's last line only: it must name the failed checks, not point at lines above
        ctx.error = f"{len(problems)} of {len(checks)} checks failed: " + " | ".join(lines)
        return EXIT_BAD_INPUT if any(p.exit_code == EXIT_BAD_INPUT for _, p in problems) else EXIT_TRANSIENT

    return run_stage("verify", "verify", args.run_id, body)


if __name__ == "__main__":
    sys.exit(main())
