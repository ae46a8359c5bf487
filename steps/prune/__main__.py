"""``python -m steps.prune``: see :mod:`steps.prune.command`."""

from __future__ import annotations

import sys

from steps.prune.command import main

if __name__ == "__main__":
    sys.exit(main())
