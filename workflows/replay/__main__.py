"""``python -m workflows.replay``: serve the replay APIs on a local port until interrupted.

Logs one line per request through :mod:`logging` (stderr). Exit codes follow the project contract: 0 after
Ctrl-C or SIGTERM, 2 for bad arguments (one line on stderr naming the bad value and the fix).
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from collections.abc import Sequence
from types import FrameType
from typing import NoReturn

from workflows.replay.revisions import parse_revision
from workflows.replay.server import PRE_REFORM_SNAPSHOT, REFORM_DATE, ReplayServer, parse_snapshot

logger = logging.getLogger("workflows.replay")


class _OneLineParser(argparse.ArgumentParser):
    """An argument parser that reports a usage error as one line on stderr and exit code 2."""

    def error(self, message: str) -> NoReturn:
        """Print ``message`` as one line and exit 2."""
        self.exit(2, f"{self.prog}: {message} (see --help)\n")


def _port(value: str) -> int:
    """Parse a TCP port number (0 picks a free port)."""
    if not value.isdigit() or not 0 <= int(value) <= 65535:
        raise argparse.ArgumentTypeError(f"bad port {value!r}: expected a number 0-65535")
    return int(value)


def build_parser() -> argparse.ArgumentParser:
    """Build the command-line parser.

    Returns:
        The parser for ``python -m workflows.replay``.
    """
    parser = _OneLineParser(
        prog="python -m workflows.replay",
        description="Serve the World Bank, Vietnam provinces, FRED, EIA and NOAA CDO APIs offline "
        "(FRED, EIA and NOAA with generated data).",
    )
    parser.add_argument("--host", default="127.0.0.1", help="interface to listen on (default: %(default)s)")
    parser.add_argument("--port", type=_port, default=8765, help="port, 0 for any free one (default: %(default)s)")
    parser.add_argument(
        "--snapshot",
        default=PRE_REFORM_SNAPSHOT.isoformat(),
        help="date to replay the APIs as of, YYYY-MM-DD; the provinces API changes on "
        f"{REFORM_DATE.isoformat()} (default: %(default)s)",
    )
    parser.add_argument(
        "--revise",
        action="append",
        default=[],
        metavar="PROVIDER:KEY=VALUE",
        help="serve a revised value instead of the shipped data (repeatable), e.g. "
        "worldbank:NY.GDP.MKTP.CD:2020=346615509519.5 (=null withdraws it)",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the replay server until Ctrl-C or SIGTERM.

    Args:
        argv: Command-line arguments without the program name; ``None`` reads ``sys.argv``.

    Returns:
        The exit code: 0 after a clean stop, 2 for bad arguments or an address that cannot be bound.
    """
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exc:  # --help (0) or a usage error (2), already printed
        return exc.code if isinstance(exc.code, int) else 2
    try:
        snapshot = parse_snapshot(args.snapshot)
    except ValueError as exc:
        sys.stderr.write(f"replay server: --snapshot: {exc}\n")
        return 2
    try:
        revisions = [parse_revision(text) for text in args.revise]
    except ValueError as exc:
        sys.stderr.write(f"replay server: --revise: {exc}\n")
        return 2
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    server = ReplayServer(host=args.host, port=args.port, snapshot=snapshot, revisions=revisions)
    try:
        server.start()
    except OSError as exc:
        sys.stderr.write(f"replay server: cannot listen on {args.host}:{args.port}: {exc}; choose another --port\n")
        return 2
    stopping = threading.Event()

    def _on_sigterm(_signum: int, _frame: FrameType | None) -> None:
        stopping.set()

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _on_sigterm)
    logger.info("replay server listening on %s (snapshot %s)", server.url, snapshot.isoformat())
    try:
        while not stopping.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    logger.info("replay server stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
