"""The ingest stage never imports pandas, even where pandas is installed (a laptop's environment has it)."""

from __future__ import annotations

import subprocess
import sys


def test_the_ingest_stage_never_imports_pandas() -> None:
    # pyarrow probes for pandas on its first list→array conversion; in the ingest stage's process the probe fails
    # at once instead of importing pandas (~1-2 s), and nothing else there imports it either.
    code = (
        "import runpy, sys\n"
        "sys.argv = ['steps.ingest', '--help']\n"
        "try:\n    runpy.run_module('steps.ingest', run_name='not_main')\nexcept SystemExit:\n    pass\n"
        "import pyarrow as pa\n"
        "pa.array([1, 2, 3])\n"
        "assert 'pandas' not in sys.modules, 'pandas was imported'\n"
        "import os\nprint(os.environ['ARROW_DEFAULT_MEMORY_POOL'])\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "system"
