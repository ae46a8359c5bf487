"""The prune command's options, shared by ``python -m steps.prune`` and ``tributary prune`` (standard library only)."""

from __future__ import annotations

import argparse

DEFAULT_RETENTION = "7d"  # Iceberg's retention_threshold: Trino's default min-retention


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options ``python -m steps.prune`` and ``tributary prune`` share."""
    parser.add_argument("--dry-run", action="store_true", help="print what would go; delete nothing")
    parser.add_argument("--json", action="store_true", help="print the result as one JSON document")
    parser.add_argument(
        "--as-of",
        metavar="TIME",
        help="judge ages as on this date or time (ISO 8601, UTC unless it has an offset; default now): "
        "what would go on that date",
    )
    parser.add_argument(
        "--no-maintenance", action="store_true", help="skip the warehouse maintenance (DuckDB checkpoint, Iceberg)"
    )
    parser.add_argument(
        "--iceberg-retention",
        default=DEFAULT_RETENTION,
        metavar="DURATION",
        help="retention_threshold of expire_snapshots and remove_orphan_files on Trino (default 7d)",
    )


def argv_of(args: argparse.Namespace) -> list[str]:
    """The shared options of ``args`` as arguments again (``tributary prune`` passes them on)."""
    argv = ["--iceberg-retention", args.iceberg_retention]
    argv += ["--as-of", args.as_of] if args.as_of else []
    flags = {"--dry-run": args.dry_run, "--json": args.json, "--no-maintenance": args.no_maintenance}
    return argv + [flag for flag, on in flags.items() if on]
