"""The validate stage runs pyarrow on the system allocator, which gives the bronze gate's freed chunks back."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def test_python_m_steps_validate_sets_the_system_pool_before_pyarrow_loads(tmp_path: Path) -> None:
    code = (
        "import os\n"
        "from steps.validate.__main__ import main\n"
        "try:\n    main(['--suite', 'bronze', '--run-id', 'bad id'])\nexcept SystemExit:\n    pass\n"
        "import pyarrow as pa\n"
        "print(os.environ['ARROW_DEFAULT_MEMORY_POOL'], pa.default_memory_pool().backend_name)\n"
    )
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), "HOME": str(ROOT), "TRIBUTARY_LAKE": str(tmp_path)}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False, env=env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "system system"
