"""DuckDB extensions from their PyPI packages: nothing is downloaded at run time."""

from __future__ import annotations

import importlib
from pathlib import Path

from steps.errors import ConfigError


def prepare_extension_dir(folder: Path, names: tuple[str, ...] = ("httpfs",)) -> Path:
    """Lay out the packaged extensions where DuckDB looks (``<dir>/v<version>/<platform>/``); returns ``folder``.

    Point DuckDB's ``extension_directory`` setting at the result and ``INSTALL``/autoload find them locally.
    """
    import duckdb

    version = f"v{duckdb.__version__}"
    platform = duckdb.execute("PRAGMA platform").fetchone()[0]  # type: ignore[index]
    target = folder / version / platform
    target.mkdir(parents=True, exist_ok=True)
    for name in names:
        try:
            package = importlib.import_module(f"duckdb_extension_{name}")
        except ImportError:
            raise ConfigError(
                f"DuckDB extension {name} is not installed", f"install duckdb-extension-{name}=={duckdb.__version__}"
            ) from None
        source = Path(package.__file__).parent / "extensions" / version / f"{name}.duckdb_extension"  # type: ignore[arg-type]
        if not source.exists():
            raise ConfigError(
                f"duckdb-extension-{name} does not match duckdb {duckdb.__version__} ({source} missing)",
                f"pin duckdb-extension-{name}=={duckdb.__version__}",
            )
        link = target / source.name
        if not link.exists():
            link.symlink_to(source)
    return folder
