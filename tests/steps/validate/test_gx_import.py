"""Great Expectations imported without scipy.stats, altair and co., which load on first use (steps.validate.gx_import).

Each test runs in a fresh interpreter: the test process has GX (and scipy) imported already.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def _python(code: str) -> dict[str, object]:
    """Run ``code`` in a fresh interpreter of the project; it prints one JSON document, returned here."""
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), "HOME": str(ROOT)},
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def test_gx_imports_without_running_scipy_stats_or_altair() -> None:
    got = _python(
        """
        import json, sys
        from steps.validate.gx_import import LAZY_MODULES, import_gx, is_loaded
        gx = import_gx()
        print(json.dumps({
            "gx": gx.__name__,
            "in_modules": all(name in sys.modules for name in LAZY_MODULES),
            "loaded": [name for name in LAZY_MODULES if is_loaded(name)],
            "finder_removed": not any(type(f).__name__ == "_LazyFinder" for f in sys.meta_path),
        }))
        """
    )
    assert got == {
        "gx": "great_expectations",
        "in_modules": True,
        "loaded": [],
        "finder_removed": True,
    }


def test_a_lazy_module_runs_on_first_use_and_an_expectation_needing_it_still_works() -> None:
    # KL divergence is computed with scipy.stats: the same answer as with a plain import, loaded when asked.
    got = _python(
        """
        import json
        import pandas as pd
        from steps.validate.gx_import import import_gx, is_loaded
        gx = import_gx()
        before = is_loaded("scipy.stats")
        from scipy import stats
        norm_half = float(stats.norm.cdf(0.0))
        context = gx.get_context(mode="ephemeral")
        frame = pd.DataFrame({"x": ["a", "b", "a", "b"]})
        batch = (
            context.data_sources.add_pandas("p").add_dataframe_asset("a")
            .add_batch_definition_whole_dataframe("b").get_batch(batch_parameters={"dataframe": frame})
        )
        result = batch.validate(gx.expectations.ExpectColumnKLDivergenceToBeLessThan(
            column="x", partition_object={"values": ["a", "b"], "weights": [0.5, 0.5]}, threshold=0.1
        ))
        print(json.dumps({"before": before, "after": is_loaded("scipy.stats"), "norm": norm_half,
                          "success": result.success, "kl": result.result["observed_value"]}))
        """
    )
    assert got == {"before": False, "after": True, "norm": 0.5, "success": True, "kl": 0.0}


def test_a_module_imported_before_stays_as_it_was() -> None:
    got = _python(
        """
        import json
        import scipy.stats
        from steps.validate.gx_import import import_gx, is_loaded
        import_gx()
        print(json.dumps({"loaded": is_loaded("scipy.stats"), "altair": is_loaded("altair")}))
        """
    )
    assert got == {"loaded": True, "altair": False}
