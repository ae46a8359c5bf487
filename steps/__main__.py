"""``python -m steps``: run the stage named by ``TRIBUTARY_STAGE`` exactly as ``python -m steps.<stage>`` runs it.

This is the entrypoint of every stage image. They are all built from one Dockerfile (images/stage/Dockerfile),
which stores the stage's name in ``TRIBUTARY_STAGE`` at build time. An exec-form ENTRYPOINT cannot expand a
variable, so it always runs this fixed module and this module picks the stage. The WorkflowTemplate gives the
full command (``python -m steps.<stage>``) and never goes through here.
"""

from __future__ import annotations

import os
import runpy
import sys

from steps.errors import EXIT_BAD_INPUT, ConfigError
from steps.names import STAGES


def stage_module(stage: str) -> str:
    """The module to run for ``stage``, the value of ``TRIBUTARY_STAGE``.

    Raises:
        ConfigError: ``stage`` is empty or not one of :data:`STAGES`.
    """
    if stage not in STAGES:
        what = f"TRIBUTARY_STAGE {stage!r} is not a stage" if stage else "TRIBUTARY_STAGE is not set"
        fix = f"set it to one of {', '.join(STAGES)} (a stage image sets it from its build argument STAGE)"
        raise ConfigError(f"python -m steps: {what}", fix)
    return f"steps.{stage}"


def main() -> None:
    """Run the stage as ``__main__`` with this process's arguments, as ``python -m steps.<stage>`` would."""
    try:
        module = stage_module(os.environ.get("TRIBUTARY_STAGE", ""))
    except ConfigError as exc:
        sys.stderr.write(f"{exc.line()}\n")
        sys.exit(EXIT_BAD_INPUT)
    runpy.run_module(module, run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
