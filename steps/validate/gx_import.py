"""Importing Great Expectations: quietly, and without loading the libraries that only unused expectations need.

``import great_expectations`` (1.x) imports every core expectation up front, and with them scipy.stats (the
distribution expectations: KL divergence, quantiles by distribution), altair (charts some renderers draw), boto3
(S3 stores), jsonschema (the JSON-schema expectation) and mistune (Markdown in Data Docs): about 0.95 s of its 2.2 s,
on the run's critical path, for code the shipped suites and their Data Docs never call. :func:`import_gx` imports GX
with those modules created lazily (:class:`importlib.util.LazyLoader`): each is a module object whose code runs on
first attribute access. A suite that uses such an expectation pays the import then, as a plain import would have;
the result is the same either way. Only GX's own import is affected: the finder is removed once it is done, and a
module someone imported before stays as it is.

The local runner's warm interpreter for the gates calls :func:`import_gx` (``PRELOAD_FOR_WORK``), and so does the
stage itself (:class:`steps.validate.runner.GxSession`), so a pod gets the same saving.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import logging
import os
import sys
from collections.abc import Sequence
from types import ModuleType

# GX must never reach the network (the pipeline runs offline) nor draw progress bars into pod logs.
_QUIET_ENV = {
    "GX_ANALYTICS_ENABLED": "false",  # no usage events
    "TQDM_DISABLE": "1",  # GX's metric progress bars use tqdm; belt and braces with the context's progress_bars
}

# Imported by ``import great_expectations`` but used only by expectations and renderers the suites do not use.
LAZY_MODULES = ("scipy.stats", "altair", "boto3", "jsonschema", "mistune")


def quiet_gx() -> None:
    """Set the environment GX reads at import time; call before the first import of great_expectations.

    Forced, not defaulted: no environment may switch usage events or progress bars back on in a pipeline pod.
    """
    os.environ.update(_QUIET_ENV)
    logging.getLogger("great_expectations").setLevel(logging.WARNING)


class _LazyFinder(importlib.abc.MetaPathFinder):
    """Finds ``names`` as the other finders would, with a loader that runs the module on first use."""

    def __init__(self, names: Sequence[str]) -> None:
        self.names = frozenset(names)

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname not in self.names:
            return None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec: importlib.machinery.ModuleSpec | None = finder.find_spec(fullname, path, target)
            if spec is not None:
                if isinstance(spec.loader, importlib.abc.Loader) and hasattr(spec.loader, "exec_module"):
                    spec.loader = importlib.util.LazyLoader(spec.loader)
                return spec
        return None


def import_gx(lazy: Sequence[str] = LAZY_MODULES) -> ModuleType:
    """``import great_expectations`` (quietly), with ``lazy`` loaded on first use if GX is what imports them."""
    quiet_gx()
    if "great_expectations" in sys.modules:
        return sys.modules["great_expectations"]
    finder = _LazyFinder([name for name in lazy if name not in sys.modules])
    sys.meta_path.insert(0, finder)
    try:
        return importlib.import_module("great_expectations")
    finally:
        sys.meta_path.remove(finder)


def is_loaded(name: str) -> bool:
    """Whether module ``name`` has run its code (False when absent, or lazy and not touched yet)."""
    module = sys.modules.get(name)
    return module is not None and type(module).__name__ != "_LazyModule"  # importlib.util's class, until first use
