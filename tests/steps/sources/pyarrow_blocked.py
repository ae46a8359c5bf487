"""What the stages without pyarrow run, with pyarrow unimportable: ``python -m tests.steps.sources.pyarrow_blocked``.

Before anything else is imported, ``sys.modules["pyarrow"] = None`` makes every ``import pyarrow`` fail. Then it
imports the entry points of the stages whose images have no pyarrow (verify, freshness, summary, dbt), builds
every source of ``$TRIBUTARY_CONFIG``, prepares each and sends the probe of each HTTP kind (what verify does per
source), declares every dataset to Trino, and runs ``steps.verify`` itself. The last line of stdout is a JSON report
for test_without_pyarrow.py.

``BLOCKED_LAKE_MAY_USE_PYARROW=1`` let ``steps.lake`` alone load pyarrow while it read through pyarrow's filesystems;
it no longer does, and test_without_pyarrow.py sets ``0``.
"""

import sys

sys.modules["pyarrow"] = None

import json  # noqa: E402
import os  # noqa: E402

try:
    import steps.lake

    lake_uses_pyarrow = False
except ImportError:
    if os.environ.get("BLOCKED_LAKE_MAY_USE_PYARROW") != "1":
        raise
    del sys.modules["pyarrow"]
    import steps.lake

    for name in [n for n in sys.modules if n.partition(".")[0] == "pyarrow"]:
        sys.modules[name] = None
    lake_uses_pyarrow = True

import steps.dbt.__main__  # noqa: E402
import steps.freshness.__main__  # noqa: E402
import steps.summary.__main__  # noqa: E402
import steps.verify.__main__  # noqa: E402
from steps.config import load_config  # noqa: E402
from steps.dbt.bronze_tables import ddl  # noqa: E402
from steps.http import HttpClient  # noqa: E402
from steps.lake import Lake  # noqa: E402
from steps.sources import build_source, check_reachable  # noqa: E402
from steps.verify.checks import PROBE_POLICY  # noqa: E402

config = load_config(os.environ["TRIBUTARY_CONFIG"])
bucket = Lake("s3://lake")
report: dict[str, object] = {"lake_uses_pyarrow": lake_uses_pyarrow}
kinds, probes, datasets, statements = {}, {}, {}, 0
for name in config.enabled_sources():
    kinds[name] = kind = config.source(name).kind
    source = build_source(name, config)
    client = HttpClient(name, PROBE_POLICY)
    try:
        check_reachable(source, client, kind)
    finally:
        client.close()
    if kind not in ("postgres", "files"):
        probes[name] = source.probe().url
    datasets[name] = [ds.name for ds in source.datasets]
    for dataset in source.datasets:
        statements += len(ddl(bucket, name, dataset))
report.update(kinds=kinds, probes=probes, datasets=datasets, statements=statements)
report["verify_exit"] = steps.verify.__main__.main(["--run-id", "no-pyarrow"])
print(json.dumps(report))
