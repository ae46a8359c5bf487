"""Render the WorkflowTemplate and CronWorkflow of one environment to dicts and to YAML files.

``tributary render --env E --out DIR`` writes ``DIR/workflowtemplate.yaml`` and ``DIR/cronworkflow.yaml``; the
pipeline's Helm chart ships them with ``.Files.Get`` (no ``tpl``), so Argo's ``{{…}}`` reach Argo untouched.
``tributary run`` executes the very same ``workflow_template`` dict locally.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from workflows.argo.settings import load_environment

WORKFLOW_TEMPLATE_FILE = "workflowtemplate.yaml"
CRON_WORKFLOW_FILE = "cronworkflow.yaml"
PRUNE_CRON_WORKFLOW_FILE = "prune-cronworkflow.yaml"  # installed by the chart only with prune.enabled


@dataclass(frozen=True)
class Rendered:
    """The two manifests of one environment, as plain dicts."""

    env: str
    workflow_template: dict[str, Any]
    cron_workflow: dict[str, Any]
    prune_cron_workflow: dict[str, Any] | None = None

    def files(self) -> dict[str, dict[str, Any]]:
        """File name → manifest."""
        files = {WORKFLOW_TEMPLATE_FILE: self.workflow_template, CRON_WORKFLOW_FILE: self.cron_workflow}
        if self.prune_cron_workflow is not None:
            files[PRUNE_CRON_WORKFLOW_FILE] = self.prune_cron_workflow
        return files


def enabled_sources(config: Path | None) -> list[str]:
    """The fan-out: enabled sources of the pipeline configuration (the packaged default when ``config`` is None).

    Raises:
        steps.errors.ConfigError: the configuration cannot be read or is invalid.
    """
    from steps.config import load_config

    return load_config(config).enabled_sources()


def render(
    env_name: str,
    *,
    config: Path | None = None,
    sources: Sequence[str] | None = None,
    registry: str | None = None,
    tag: str | None = None,
) -> Rendered:
    """Build both manifests of ``env_name`` with Hera.

    Args:
        env_name: ``dev``, ``staging`` or ``prod``.
        config: Pipeline configuration the sources come from (default: the packaged one).
        sources: Explicit subset of sources (default: every enabled source of ``config``).
        registry: Image registry override.
        tag: Image tag override.
    """
    from steps.config import load_config
    from workflows.argo.pipeline import build_workflow_template
    from workflows.argo.prune import build_prune_cron_workflow
    from workflows.argo.schedule import build_cron_workflow

    env = load_environment(env_name, registry=registry, tag=tag)
    names = list(sources) if sources is not None else enabled_sources(config)
    pipeline = load_config(config)
    secrets = sorted({v for n in names if n in pipeline.sources for v in pipeline.secret_variables(n)})
    return Rendered(
        env=env_name,
        workflow_template=build_workflow_template(env, names, secrets).to_dict(),
        cron_workflow=build_cron_workflow(env).to_dict(),
        prune_cron_workflow=build_prune_cron_workflow(env).to_dict(),
    )


def to_yaml(doc: dict[str, Any], env_name: str) -> str:
    """One manifest as YAML, with a header saying where it comes from."""
    header = (
        f"# Rendered by `tributary render --env {env_name}` from workflows/ (Hera). Do not edit: change workflows/\n"
        "# and render again.\n"
    )
    return header + yaml.safe_dump(doc, sort_keys=False, width=1000, allow_unicode=True)


def write(rendered: Rendered, out_dir: Path) -> list[Path]:
    """Write both files into ``out_dir`` (created if missing); returns their paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, doc in rendered.files().items():
        path = out_dir / name
        path.write_text(to_yaml(doc, rendered.env), encoding="utf-8")
        paths.append(path)
    return paths
