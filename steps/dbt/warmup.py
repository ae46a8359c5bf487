"""Parse the dbt project ahead of the dbt tasks: at install time, and inside a local run's warm interpreter.

``tributary run`` starts the interpreter for the dbt tasks while the ingests and the bronze gate run (see
:mod:`workflows.local.warm`) and calls :func:`prepare` there: a ``dbt parse`` with the very arguments the builds will
use. The builds then find the project parsed (dbt's saved parse is current, even on a fresh lake), dbt's
one-time set-up already done in their memory (config schemas, serializers) and the macros they call compiled
(:mod:`steps.dbt.macros`): seconds less per dbt task. Best
effort: whatever fails here is left for the build itself to report.

``python -m steps.dbt.warmup`` (run by ``make setup``, as the dbt image runs ``dbt parse`` at build time) saves a
full parse of the project for the packaged configuration on this machine, so even the first run only re-parses
what changed.
"""

from __future__ import annotations

import logging
import os
import sys
import tempfile
import time

from steps.config import load_config
from steps.dbt.environment import activate_dbt_environment, prepare_dbt_environment
from steps.dbt.macros import precompile
from steps.dbt.runner import dbt_parse, parsed_ahead
from steps.dbt.settings import DbtSettings
from steps.lake import Lake
from steps.settings import StageSettings, load_settings

log = logging.getLogger(__name__)


def prepare(compile_macros: bool = True) -> bool:
    """Parse the project for this environment's lake and sources (and compile its macros); True when dbt parsed it."""
    cwd, environ = os.getcwd(), dict(os.environ)
    try:
        stage = load_settings(StageSettings)
        settings = load_settings(DbtSettings)
        lake = Lake.from_settings(stage)
        sources = load_config(stage.config).enabled_sources()
        project = settings.project(lake.uri(), sources)
        activate_dbt_environment(prepare_dbt_environment(lake, settings))
        if not dbt_parse(project):
            return False
        if compile_macros:  # for the builds of this process, or forked from it
            log.debug("dbt macros compiled ahead: %d", precompile(parsed_ahead()))
        return True
    except Exception as exc:  # noqa: BLE001 - a warm-up never fails anything; the build reports real problems
        log.debug("dbt warm-up skipped: %s", exc)
        return False
    finally:
        os.chdir(cwd)
        os.environ.clear()
        os.environ.update(environ)


def main() -> int:
    """Parse the project once for this machine.

    A throwaway lake and work folder are used unless the environment sets them: the saved parse depends on neither.
    """
    with tempfile.TemporaryDirectory(prefix="tributary-warmup-") as tmp:
        os.environ.setdefault("TRIBUTARY_LAKE", os.path.join(tmp, "lake"))
        os.environ.setdefault("TRIBUTARY_DBT_WORK_DIR", os.path.join(tmp, "dbt"))
        os.environ.setdefault("TRIBUTARY_TARGET", "local")
        started = time.monotonic()
        parsed = prepare(compile_macros=False)
    if not parsed:
        # not an install failure: the first build parses the project itself and reports what is wrong
        sys.stderr.write("dbt warm-up: the project did not parse; the first build will parse it and say why\n")
        return 0
    sys.stderr.write(f"dbt project parsed for this machine in {time.monotonic() - started:.1f}s\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
