"""The exit handler's output artifacts: the run report and the gates' Data Docs, for the Argo UI to show.

Argo 3.4+ shows an artifact in the UI when it is not archived (``archive: none``) and, for a folder, when its key
ends in ``/``: it then opens the folder's ``index.html`` and serves the files below it, so relative links work. Its
Content-Security-Policy blocks every script and anything not from the Argo server, which the report (inline CSS
and SVG only) and the offline Data Docs (a plain list of validations where scripts do not run) are made for.

The artifacts go to the repository named by the WorkflowTemplate's ``artifactRepositoryRef``: key
:data:`REPOSITORY_KEY` of the ConfigMap :data:`REPOSITORY_CONFIG_MAP`, which the chart writes per environment
(MinIO in dev, S3 elsewhere; ``artifactRepository`` in charts/tributary/values.yaml). The keys name only a path,
so bucket, endpoint and credentials come from there. The local runner ignores artifacts: a local run's report and
Data Docs are in the lake's ``reports/<run_id>/`` already.
"""

from __future__ import annotations

from hera.workflows import NoneArchiveStrategy, S3Artifact
from hera.workflows import models as m

REPOSITORY_CONFIG_MAP = "artifact-repositories"  # Argo's default name for it
REPOSITORY_KEY = "tributary"
REPORT_DIR = "/tmp/report"  # noqa: S108 - in the exit handler's emptyDir; python -m steps.summary --artifacts
GATES = ("bronze", "gold")


def repository_ref() -> m.ArtifactRepositoryRef:
    """The WorkflowTemplate's ``artifactRepositoryRef``: the chart's repository for this pipeline."""
    return m.ArtifactRepositoryRef(config_map=REPOSITORY_CONFIG_MAP, key=REPOSITORY_KEY)


def report_artifacts() -> list[S3Artifact]:
    """The report folder (the run report, with every gate's Data Docs below it), and each gate's Data Docs alone.

    Each is optional: a run that ended before a gate has no Data Docs for it, and a missing artifact must not turn
    the exit handler's report into an error.
    """
    folders = [("report", REPORT_DIR)] + [(f"data-docs-{gate}", f"{REPORT_DIR}/gx/{gate}/docs") for gate in GATES]
    return [
        S3Artifact(
            name=name,
            path=path,
            key=f"{{{{workflow.name}}}}/{name}/",  # a trailing / makes the UI treat it as a folder
            archive=NoneArchiveStrategy(),
            optional=True,
        )
        for name, path in folders
    ]
