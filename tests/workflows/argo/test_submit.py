"""``tributary submit``: the request Hera sends to the Argo server, checked without a server."""

from __future__ import annotations

import json
from typing import Any

import pytest

from workflows.argo.submit import ArgoServer, SubmitError, server_from_env, submit, submit_request
from workflows.cli import main


class FakeResponse:
    def __init__(self, status: int, body: dict[str, Any]) -> None:
        self.status_code, self._body = status, body
        self.ok = status < 400
        self.text = json.dumps(body)
        self.reason = "Forbidden" if status == 403 else "OK"

    def json(self) -> dict[str, Any]:
        return self._body


class FakeSession:
    """Stands in for requests.Session: records the request Hera makes, answers as the Argo server would."""

    def __init__(self, response: FakeResponse) -> None:
        self.response = response
        self.requests: list[dict[str, Any]] = []

    def request(self, method: str, **kwargs: Any) -> FakeResponse:
        self.requests.append({"method": method, **kwargs})
        return self.response


def test_server_settings_come_from_the_argo_cli_variables() -> None:
    server = server_from_env({"ARGO_SERVER": "argo.example:2746", "ARGO_TOKEN": "abc"}, "tributary")
    assert server == ArgoServer(url="https://argo.example:2746", token="abc", namespace="tributary")
    plain = server_from_env(
        {
            "ARGO_SERVER": "localhost:2746",
            "ARGO_SECURE": "false",
            "ARGO_NAMESPACE": "data",
            "ARGO_INSECURE_SKIP_VERIFY": "true",
        },
        "tributary",
    )
    assert (plain.url, plain.token, plain.namespace, plain.verify_ssl) == ("http://localhost:2746", None, "data", False)
    with pytest.raises(SubmitError, match="ARGO_SERVER is not set"):
        server_from_env({}, "tributary")


def test_submit_posts_a_submit_from_workflowtemplate_request() -> None:
    session = FakeSession(FakeResponse(200, {"metadata": {"name": "tributary-x7k2p"}, "spec": {}}))
    server = ArgoServer(url="https://argo.example", token="abc", namespace="tributary")
    name = submit(server, submit_request("tributary", force=True, env_name="prod", submitter="ana"), session=session)
    assert name == "tributary-x7k2p"
    [req] = session.requests
    assert req["method"] == "post" and req["url"] == "https://argo.example/api/v1/workflows/tributary/submit"
    assert req["headers"]["Authorization"] == "Bearer abc"
    body = json.loads(req["data"])
    assert body["resourceKind"] == "WorkflowTemplate" and body["resourceName"] == "tributary"
    options = body["submitOptions"]
    assert options["parameters"] == ["force=true"] and options["generateName"] == "tributary-"
    assert "tributary.io/environment=prod" in options["labels"] and "tributary.io/submitted-by=ana" in options["labels"]


def test_a_refusal_by_the_server_is_a_clear_error() -> None:
    session = FakeSession(FakeResponse(403, {"code": 7, "message": "forbidden"}))
    server = ArgoServer(url="https://argo.example", token="bad", namespace="tributary")
    with pytest.raises(SubmitError, match=r"Argo server https://argo\.example did not accept the submission"):
        submit(server, submit_request("tributary", force=False, env_name="dev"), session=session)


def test_dry_run_prints_the_request(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["submit", "--env", "staging", "--dry-run", "--namespace", "data"]) == 0
    body = json.loads(capsys.readouterr().out)
    assert body["namespace"] == "data" and body["submitOptions"]["parameters"] == ["force=false"]


def test_submit_without_server_says_what_to_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ARGO_SERVER", raising=False)
    with pytest.raises(SystemExit, match="tributary submit: ARGO_SERVER is not set"):
        main(["submit", "--env", "dev"])
