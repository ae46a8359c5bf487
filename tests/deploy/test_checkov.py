"""checkov over the rendered manifests and the Dockerfiles: no failed check, every skip documented."""

from __future__ import annotations

import re
from typing import Any

from tests.deploy.conftest import CANARY_MUST_FAIL
from tests.deploy.manifests import CHARTS, REPO


def _chart_of(file_path: str) -> str:
    """charts/<chart> of a rendered file, from its folder name <chart>-<env>."""
    folder = file_path.strip("/").split("/")[0]
    return re.sub(r"-(dev|staging|prod)$", "", folder)


def _documented(check_id: str, document: str) -> bool:
    """The check id appears in the document on a line that explains it (a table row or a bullet)."""
    return any(check_id in line and len(line.strip()) > len(check_id) + 40 for line in document.splitlines())


def test_rendered_manifests_pass_every_kubernetes_check(checkov_manifests: dict[str, dict[str, Any]]) -> None:
    report = checkov_manifests["kubernetes"]
    failed = [(c["check_id"], c["file_path"], c["resource"]) for c in report["results"]["failed_checks"]]
    real = [f for f in failed if not f[1].startswith("/canary/")]
    assert not real, "checkov failures:\n" + "\n".join(map(str, real))
    assert report["summary"]["passed"] > 1000
    canary = {f[0] for f in failed if f[1].startswith("/canary/")}
    assert canary >= CANARY_MUST_FAIL, f"checkov did not evaluate the canary as expected: {canary}"


def test_every_kubernetes_skip_is_listed_in_the_chart_readme(checkov_manifests: dict[str, dict[str, Any]]) -> None:
    skipped = checkov_manifests["kubernetes"]["results"]["skipped_checks"]
    for check in skipped:
        chart = _chart_of(check["file_path"])
        readme = (CHARTS / chart / "README.md").read_text()
        reason = check["check_result"].get("suppress_comment", "")
        assert reason.strip(), f"{check['check_id']} in {check['file_path']} is skipped without a reason"
        assert _documented(check["check_id"], readme), (
            f"charts/{chart}/README.md must list skipped {check['check_id']} with its reason ({reason})"
        )


def test_workflow_template_passes_the_argo_checks(checkov_manifests: dict[str, dict[str, Any]]) -> None:
    report = checkov_manifests["argo_workflows"]
    assert not report["results"]["failed_checks"], report["results"]["failed_checks"]
    passed = {c["check_id"] for c in report["results"]["passed_checks"]}
    assert {"CKV_ARGO_1", "CKV_ARGO_2"} <= passed, "the WorkflowTemplates were not scanned"


def test_dockerfiles_pass_every_check(checkov_dockerfiles: dict[str, dict[str, Any]]) -> None:
    report = checkov_dockerfiles["dockerfile"]
    failed = [(c["check_id"], c["file_path"]) for c in report["results"]["failed_checks"]]
    assert not failed, f"checkov failures: {failed}"
    scanned = {c["file_path"] for c in report["results"]["passed_checks"]}
    expected = {f"/{p.parent.name}/Dockerfile" for p in (REPO / "images").glob("*/Dockerfile")}
    assert expected <= scanned and len(expected) == 3  # base, stage, hive-metastore


def test_every_dockerfile_skip_is_documented(checkov_dockerfiles: dict[str, dict[str, Any]]) -> None:
    doc = (REPO / "docs/images.md").read_text()
    for check in checkov_dockerfiles["dockerfile"]["results"]["skipped_checks"]:
        reason = check["check_result"].get("suppress_comment", "")
        assert reason.strip(), f"{check['check_id']} in {check['file_path']} is skipped without a reason"
        assert _documented(check["check_id"], doc), f"docs/images.md must list skipped {check['check_id']}"
