"""Loaded by every stage process the container tests record (PYTHONPATH): notes each module the project's own code
imports, lazily or not, once the import succeeded.

``RECORD_STAGE_IMPORTS`` names the file; one line per module. Only imports made by ``steps`` code count: what
a third-party library tries to import for itself (an optional accelerator, a Windows module) is that library's
business, its required dependencies come with it. One exception: the adapter plugin dbt loads by name from the
profile's target type (``dbt.adapters.<type>``) is chosen by our configuration, so it is part of the stage's path.
"""

import builtins
import importlib
import os
import sys

_OUT = os.environ.get("RECORD_STAGE_IMPORTS")

if _OUT:
    _original = builtins.__import__
    _sink = open(_OUT, "a", buffering=1)  # noqa: SIM115 - open for the life of the process (it may os._exit)
    _seen: set[str] = set()

    def _note(name: str) -> None:
        if name not in _seen:
            _seen.add(name)
            _sink.write(name + "\n")

    def _recording_import(name, globals=None, locals=None, fromlist=(), level=0):
        module = _original(name, globals, locals, fromlist, level)
        importer = (globals or {}).get("__name__") or ""
        if importer == "__main__" or importer == "steps" or importer.startswith("steps."):
            if level:
                package = (globals or {}).get("__package__") or ""
                base = package.rsplit(".", level - 1)[0] if level > 1 else package
                name = f"{base}.{name}" if name else base
            _note(name)
            for item in fromlist or ():
                if f"{name}.{item}" in sys.modules:
                    _note(f"{name}.{item}")
        return module

    builtins.__import__ = _recording_import

    _import_module = importlib.import_module

    def _recording_import_module(name, package=None):
        module = _import_module(name, package)
        full = module.__name__
        if full.startswith("dbt.adapters.") and full.count(".") == 2:  # the adapter plugin of a profile's type
            _note(full)
        return module

    importlib.import_module = _recording_import_module
