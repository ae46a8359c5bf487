"""The one place stage image references are built: ``<registry>/tributary-<stage>:<tag>``, never ``:latest``."""

from __future__ import annotations

from importlib import metadata
from typing import TYPE_CHECKING

from steps.names import STAGES

if TYPE_CHECKING:
    from workflows.argo.settings import Images

PACKAGE = "tributary"


def package_version() -> str:
    """The installed tributary version: the default image tag, so templates and images move together."""
    try:
        return metadata.version(PACKAGE)
    except metadata.PackageNotFoundError:
        raise RuntimeError(
            "the tributary package is not installed, so the default image tag is unknown; "
            "run `make setup` (editable install) or pass --tag"
        ) from None


def image(stage: str, images: Images) -> str:
    """The image reference of ``stage``.

    Args:
        stage: One of :data:`STAGES`.
        images: Registry and tag of the environment (tag ``None`` means the package version).

    Raises:
        ValueError: unknown stage, or a tag that is not pinned.
    """
    if stage not in STAGES:
        raise ValueError(f"no image for stage {stage!r}; stages are {', '.join(STAGES)}")
    tag = images.tag or package_version()
    if tag == "latest":
        raise ValueError("image tag 'latest' is not allowed; pin a version or a digest")
    repository = f"{PACKAGE}-{stage}"
    # An empty registry gives the bare skaffold artifact name, which skaffold rewrites to the image it just built.
    prefix = f"{images.registry.rstrip('/')}/" if images.registry else ""
    return f"{prefix}{repository}:{tag}"
