"""``tributary status --cluster``: recorded Argo Workflow objects served by a local Kubernetes list endpoint."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.workflows.status.conftest import as_json, free_port, refused, status
from tests.workflows.status.kube_api import kube_api, recorded

pytestmark = pytest.mark.e2e  # the lake part comes from a real run


def _cluster_rows(stdout: str) -> list[list[str]]:
    lines = stdout.split("Workflows in namespace tributary (newest first):\n")[1].splitlines()
    rows = []
    for line in lines[2:]:
        if not line.strip():
            break
        rows.append([c.strip() for c in line.split("  ") if c.strip()])
    return rows


def test_the_recent_runs_of_the_template_and_the_cron_workflow(clean_lake: Path, tmp_path: Path) -> None:
    with kube_api(recorded()) as api:
        kubeconfig = api.kubeconfig(tmp_path / "kubeconfig")
        proc = status("--lake", str(clean_lake), "--cluster", "--kubeconfig", str(kubeconfig))
    assert proc.returncode == 0, proc.stdout + proc.stderr  # the newest finished run succeeded
    rows = _cluster_rows(proc.stdout)
    assert [r[:3] for r in rows] == [
        ["tributary-7xk2p", "manual", "Succeeded"],
        ["tributary-scheduled-1767225600", "schedule", "Failed"],
        ["tributary-8mq4d", "manual", "Failed"],
        ["tributary-scheduled-1764547200", "schedule", "Succeeded"],
    ]  # another template's run in the namespace is not the pipeline's
    assert rows[1][3] == "2026-01-01 00:00" and rows[1][5] == "verify: Error (exit code 2)"
    assert rows[2][5] == "ingest-worldbank: OOMKilled (exit code 137)"  # three attempts, one task
    # the namespace is the dev environment's; one list per label Argo sets, with the kubeconfig's token
    selectors = sorted(r["labelSelector"] for r in api.requests)
    assert selectors == [
        "workflows.argoproj.io/cron-workflow=tributary-scheduled",
        "workflows.argoproj.io/workflow-template=tributary",
    ]
    assert {r["path"] for r in api.requests} == {"/apis/argoproj.io/v1alpha1/namespaces/tributary/workflows"}


def test_a_failed_newest_run_needs_attention(clean_lake: Path, tmp_path: Path) -> None:
    runs = recorded("01-scheduled-succeeded.json", "02-manual-ingest-oom.json", "03-scheduled-verify-failed.json")
    with kube_api(runs) as api:
        kubeconfig = api.kubeconfig(tmp_path / "kubeconfig")
        proc = status("--lake", str(clean_lake), "--cluster", "--kubeconfig", str(kubeconfig), "--json")
    doc = as_json(proc)
    assert proc.returncode == 1
    assert doc["problems"] == ["workflow tributary-scheduled-1767225600 (schedule) Failed: verify: Error (exit code 2)"]
    newest = doc["cluster"]["workflows"][0]
    assert newest["scheduled_at"] == "2026-01-01T00:00:00Z" and newest["started_at"] == "2026-01-01T00:00:02Z"
    assert newest["duration_s"] == 20.0  # verify's 9 s, the exit handler, Argo's bookkeeping
    assert newest["failed_nodes"] == [
        {"name": "verify", "template": "verify", "phase": "Failed", "message": "Error (exit code 2)"}
    ]


def test_forbidden_names_the_rbac_it_needs(clean_lake: Path, tmp_path: Path) -> None:
    with kube_api(recorded(), forbidden=True) as api:
        kubeconfig = api.kubeconfig(tmp_path / "kubeconfig")
        proc = status("--lake", str(clean_lake), "--cluster", "--kubeconfig", str(kubeconfig), "--namespace", "prod")
    line = refused(proc, 2, "refused to list workflows.argoproj.io in namespace prod (HTTP 403: workflows.argoproj")
    assert "grant get and list on workflows.argoproj.io in namespace prod" in line
    assert "rbac.statusReader.subjects" in line
    assert "kubectl create rolebinding tributary-status --role=tributary-status-reader --user=NAME -n prod" in line


def test_a_token_the_api_refuses(clean_lake: Path, tmp_path: Path) -> None:
    with kube_api(recorded()) as api:
        kubeconfig = api.kubeconfig(tmp_path / "kubeconfig", token="expired-token-0000")
        proc = status("--lake", str(clean_lake), "--cluster", "--kubeconfig", str(kubeconfig))
    line = refused(proc, 2, "did not accept our credentials", "HTTP 401")
    assert "expired-token-0000" not in line


def test_an_unreachable_api_is_transient(clean_lake: Path, tmp_path: Path) -> None:
    with kube_api([]) as api:
        api.url = f"http://127.0.0.1:{free_port()}"  # nothing listens there
        kubeconfig = api.kubeconfig(tmp_path / "kubeconfig")
    proc = status("--lake", str(clean_lake), "--cluster", "--kubeconfig", str(kubeconfig))
    refused(proc, 75, f"the Kubernetes API at {api.url} did not answer")


def test_no_kubeconfig(clean_lake: Path, tmp_path: Path) -> None:
    proc = status("--lake", str(clean_lake), "--cluster", env={"KUBECONFIG": str(tmp_path / "none")})
    refused(proc, 2, f"cannot load Kubernetes credentials from kubeconfig {tmp_path / 'none'}", "--kubeconfig")


@pytest.mark.parametrize(
    "text",
    ["{{{", "apiVersion: v1\nkind: Config\nclusters: 5\ncontexts: [{name: x}]\ncurrent-context: x\n", "[]"],
    ids=["not-yaml", "clusters-not-a-list", "a-list"],
)
def test_a_kubeconfig_that_cannot_be_read(clean_lake: Path, tmp_path: Path, text: str) -> None:
    (tmp_path / "kubeconfig").write_text(text)
    proc = status("--lake", str(clean_lake), "--cluster", "--kubeconfig", str(tmp_path / "kubeconfig"))
    refused(proc, 2, f"cannot load Kubernetes credentials from kubeconfig {tmp_path / 'kubeconfig'}")


@pytest.mark.skipif(
    Path("/var/run/secrets/kubernetes.io/serviceaccount/token").exists(), reason="runs in a pod: the token exists"
)
def test_in_a_pod_without_a_service_account_token(clean_lake: Path) -> None:
    env = {"KUBERNETES_SERVICE_HOST": "127.0.0.1", "KUBERNETES_SERVICE_PORT": str(free_port())}
    proc = status("--lake", str(clean_lake), "--cluster", env=env)
    refused(proc, 2, "cannot load Kubernetes credentials from the pod's service account")
