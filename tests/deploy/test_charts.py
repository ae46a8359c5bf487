"""Every chart, every environment: lint, schema, strict Kubernetes validation, and the security baseline."""

from __future__ import annotations

import json
import re
from typing import Any

import helm_python as helm
import kubernetes_validate
import pytest
import yaml

from tests.deploy.manifests import (
    ARGO_KINDS,
    CHARTS,
    CHARTS_PER_ENV,
    DATA_CHARTS,
    ENVS,
    K8S_VERSION,
    METASTORE_POD,
    NAMESPACE,
    PIPELINE_POD,
    SERVER_KINDS,
    STRANGER_POD,
    TRINO_POD,
    Render,
    admits,
    deploy_values,
    env_values,
    merge,
    pod_templates,
    render,
    render_env,
    selects,
)

ALL_CHARTS = (*CHARTS_PER_ENV, "lakehouse")
STANDARD_HELPERS = ("name", "fullname", "chart", "labels", "selectorLabels")


@pytest.mark.parametrize("chart", ALL_CHARTS)
def test_chart_has_the_standard_files(chart: str) -> None:
    root = CHARTS / chart
    meta = yaml.safe_load((root / "Chart.yaml").read_text())
    assert meta["apiVersion"] == "v2" and meta["name"] == chart
    assert re.fullmatch(r"\d+\.\d+\.\d+", meta["version"]), "chart versions are SemVer"
    for name in (
        "values.yaml",
        "values.schema.json",
        "README.md",
        "templates/_helpers.tpl",
        "templates/NOTES.txt",
        *(f"values-{env}.yaml" for env in ENVS),
    ):
        assert (root / name).is_file(), f"charts/{chart}/{name} is missing"
    schema = json.loads((root / "values.schema.json").read_text())
    assert schema["$schema"] == "http://json-schema.org/draft-07/schema#"
    assert schema["additionalProperties"] is False, "unknown top-level values must be rejected"
    helpers = (root / "templates/_helpers.tpl").read_text()
    wanted = STANDARD_HELPERS if chart not in ("tributary", "lakehouse") else ("name", "chart", "labels")
    for helper in wanted:
        assert f'define "{chart}.{helper}"' in helpers, f"{chart}: helper {chart}.{helper} is missing"


def _undocumented_keys(text: str) -> list[str]:
    """Keys of values.yaml with no `# --` comment on themselves or on an enclosing key (helm-docs style)."""
    missing, stack = [], []  # stack of (indent, documented)
    comment: list[str] = []  # the comment block right above the current line
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("#"):
            comment.append(stripped)
            continue
        match = re.match(r"^(\s*)([A-Za-z0-9_.-]+):(.*)$", line)
        if match:
            indent = len(match.group(1))
            while stack and stack[-1][0] >= indent:
                stack.pop()
            documented = any(c.startswith("# --") for c in comment) or any(d for _, d in stack)
            stack.append((indent, documented))
            is_leaf = match.group(3).strip() not in ("", "|", ">")
            if is_leaf and not documented:
                missing.append(match.group(2))
        if stripped:
            comment = []
    return missing


@pytest.mark.parametrize("chart", ALL_CHARTS)
def test_values_are_documented(chart: str) -> None:
    missing = _undocumented_keys((CHARTS / chart / "values.yaml").read_text())
    assert not missing, f"charts/{chart}/values.yaml: add a `# --` comment above {missing}"


@pytest.mark.parametrize("env", ENVS)
@pytest.mark.parametrize("chart", CHARTS_PER_ENV)
def test_lint_and_schema(chart: str, env: str) -> None:
    values = deploy_values(chart, env)
    report = helm.lint(CHARTS / chart, values, strict=True, namespace=NAMESPACE)
    problems = [m for m in report["messages"] if m["severity"] >= 2] + report["errors"]
    assert not problems, f"helm lint {chart} ({env}): {problems}"
    with helm.Chart.load(CHARTS / chart) as loaded:
        loaded.validate_schema(values)


@pytest.mark.parametrize(
    ("chart", "override", "message"),
    [
        ("postgres", {"image": {"tag": "latest"}}, "tag"),
        ("postgres", {"resources": {"limits": None}}, "limits"),
        ("minio", {"buckets": ["Not_A_Bucket"]}, "buckets"),
        ("hive-metastore", {"warehouse": {"managedDir": "s3://w/managed"}}, "managedDir"),
        ("trino", {"containerSecurityContext": {"allowPrivilegeEscalation": True}}, "allowPrivilegeEscalation"),
        ("trino", {"catalogs": {"iceberg": {"enabled": True, "propertiez": {}}}}, "propertiez"),
        ("tributary", {"config": {"lake": "/local/folder"}}, "lake"),
        (
            "tributary",
            {"rbac": {"extraRules": [{"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}]}},
            "extraRules",
        ),
        ("tributary", {"unknownKey": 1}, "unknownKey"),
    ],
)
def test_schema_rejects_bad_values(chart: str, override: dict[str, Any], message: str) -> None:
    with helm.Chart.load(CHARTS / chart) as loaded, pytest.raises(helm.HelmError) as caught:
        loaded.render(merge(deploy_values(chart, "dev"), override), name=chart, namespace=NAMESPACE)
    assert message in str(caught.value)


@pytest.mark.parametrize(
    ("chart", "override", "message"),
    [
        ("hive-metastore", {"image": {"digest": ""}}, "image.digest is required"),
        (
            "hive-metastore",
            {"warehouse": {"managedDir": "s3a://wh-bucket/tables", "externalDir": "s3a://wh-bucket/tables"}},
            "must differ",
        ),
        (
            "trino",
            {
                "worker": {
                    "gracefulShutdown": {"enabled": True, "gracePeriodSeconds": 120},
                    "terminationGracePeriodSeconds": 60,
                }
            },
            "at least 2x",
        ),
        (
            "trino",
            {"worker": {"resources": {"requests": {"memory": "12Gi"}, "limits": {"memory": "12Gi"}}}},
            "worker.jvm.maxHeapSize (12G) does not fit worker.resources.limits.memory (12Gi)",
        ),
        ("minio", {"lakeUser": {"buckets": ["elsewhere"]}}, "not in buckets"),
        ("postgres", {"image": {"digest": ""}}, "image.digest is required"),
        ("tributary", {"config": {"extraEnv": {"API_TOKEN": "x"}}}, "looks like a secret"),
    ],
)
def test_templates_fail_with_actionable_messages(chart: str, override: dict[str, Any], message: str) -> None:
    with helm.Chart.load(CHARTS / chart) as loaded, pytest.raises(helm.HelmError) as caught:
        loaded.render(merge(deploy_values(chart, "prod"), override), name=chart, namespace=NAMESPACE)
    assert message in str(caught.value)


def test_every_manifest_is_valid_kubernetes(renders: dict[tuple[str, str], Render]) -> None:
    checked = 0
    for (chart, env), rendered in renders.items():
        for template, doc in rendered.docs:
            if doc["kind"] in ARGO_KINDS:
                continue  # no Kubernetes schema: validated through Hera in test_pipeline_chart.py
            try:
                kubernetes_validate.validate(doc, K8S_VERSION, strict=True)
            except kubernetes_validate.ValidationError as exc:
                path = "/".join(str(p) for p in exc.path)
                pytest.fail(f"{chart} ({env}) {template}: {doc['kind']} {path}: {exc.message}")
            checked += 1
    assert checked > 60


def test_every_resource_is_namespaced_and_labelled(renders: dict[tuple[str, str], Render]) -> None:
    for (chart, env), rendered in renders.items():
        for template, doc in rendered.docs:
            if doc["kind"] in ARGO_KINDS:
                continue
            meta = doc["metadata"]
            assert meta.get("namespace") == NAMESPACE, f"{chart} ({env}) {template}: metadata.namespace not set"
            labels = meta.get("labels", {})
            assert labels.get("app.kubernetes.io/managed-by") == "Helm", f"{chart} {template}: standard labels"
            for pod_labels, _ in pod_templates(doc):
                assert "helm.sh/chart" not in pod_labels, (
                    f"{chart} {template}: chart version in pod labels restarts pods on every bump"
                )


def _containers(spec: dict[str, Any]) -> list[dict[str, Any]]:
    return list(spec.get("initContainers", [])) + list(spec["containers"])


def test_workloads_meet_the_security_baseline(renders: dict[tuple[str, str], Render]) -> None:
    seen = 0
    for (chart, env), rendered in renders.items():
        for _, doc in rendered.docs:
            for _, spec in pod_templates(doc):
                where = f"{chart} ({env}) {doc['kind']}/{doc['metadata']['name']}"
                seen += 1
                assert spec.get("automountServiceAccountToken") is False, f"{where}: no API token needed"
                pod_sc = spec["securityContext"]
                assert pod_sc["runAsNonRoot"] is True, where
                assert pod_sc["seccompProfile"]["type"] == "RuntimeDefault", where
                for container in _containers(spec):
                    name = f"{where} container {container['name']}"
                    sc = container["securityContext"]
                    assert sc["allowPrivilegeEscalation"] is False, name
                    assert sc["readOnlyRootFilesystem"] is True, name
                    assert sc["capabilities"]["drop"] == ["ALL"] and not sc["capabilities"].get("add"), name
                    assert sc.get("privileged", False) is False, name
                    uid = sc.get("runAsUser", pod_sc.get("runAsUser"))
                    assert isinstance(uid, int) and uid > 0, f"{name}: numeric non-root uid"
                    for kind in ("requests", "limits"):
                        assert {"cpu", "memory"} <= set(container["resources"][kind]), f"{name}: {kind}"
                    assert re.search(r"@sha256:[0-9a-f]{64}$", container["image"]), (
                        f"{name}: image not pinned by digest"
                    )
                    assert ":latest" not in container["image"], name
                    env_secrets = [e for e in container.get("env", []) if "secretKeyRef" in e.get("valueFrom", {})]
                    assert not env_secrets, f"{name}: secrets as files or envFrom, not env.valueFrom"
                    if doc["kind"] in SERVER_KINDS and container in spec["containers"]:
                        assert "livenessProbe" in container and "readinessProbe" in container, f"{name}: probes"
                    writable = {m["mountPath"] for m in container.get("volumeMounts", [])}
                    assert "/tmp" in writable, f"{name}: /tmp must be an emptyDir with a read-only root filesystem"
    assert seen >= 20


def test_every_pod_is_covered_by_a_network_policy(renders: dict[tuple[str, str], Render]) -> None:
    for (chart, env), rendered in renders.items():
        policies = rendered.of_kind("NetworkPolicy")
        for _, doc in rendered.docs:
            for labels, _ in pod_templates(doc):
                assert any(selects(p["spec"]["podSelector"], labels) for p in policies), (
                    f"{chart} ({env}) {doc['kind']}/{doc['metadata']['name']}: no NetworkPolicy selects its pods"
                )


def _policy_for(rendered: Render, pod_labels: dict[str, str]) -> list[dict[str, Any]]:
    return [p for p in rendered.of_kind("NetworkPolicy") if selects(p["spec"]["podSelector"], pod_labels)]


@pytest.mark.parametrize("env", ENVS)
def test_network_policies_admit_exactly_the_intended_clients(renders: dict[tuple[str, str], Render], env: str) -> None:
    """Trino from the pipeline; the metastore from Trino and the pipeline; Postgres from the metastore and the
    pipeline; MinIO from Trino, the metastore and the pipeline. Anyone else is refused."""
    cases = {
        ("postgres", "postgres"): {"pipeline": True, "metastore": True, "trino": False, "stranger": False},
        ("hive-metastore", "thrift"): {"pipeline": True, "trino": True, "metastore": False, "stranger": False},
        ("trino", "http"): {"pipeline": True, "stranger": False, "metastore": False},
        ("minio", "s3"): {"pipeline": True, "trino": True, "metastore": True, "stranger": False},
    }
    clients = {"pipeline": PIPELINE_POD, "trino": TRINO_POD, "metastore": METASTORE_POD, "stranger": STRANGER_POD}
    server_labels = {
        "postgres": {"app.kubernetes.io/name": "postgres", "app.kubernetes.io/instance": "postgres"},
        "hive-metastore": METASTORE_POD,
        "trino": TRINO_POD,
        "minio": {
            "app.kubernetes.io/name": "minio",
            "app.kubernetes.io/instance": "minio",
            "app.kubernetes.io/component": "server",
        },
    }
    for (chart, port), expected in cases.items():
        policies = _policy_for(renders[(chart, env)], server_labels[chart])
        assert policies, f"{chart} ({env}): no NetworkPolicy"
        for client, allowed in expected.items():
            got = any(admits(p, clients[client], port) for p in policies)
            assert got == allowed, f"{chart} ({env}): {client} pods {'should' if allowed else 'must not'} reach {port}"


def test_trino_workers_only_talk_to_trino(renders: dict[tuple[str, str], Render]) -> None:
    worker = {
        "app.kubernetes.io/name": "trino",
        "app.kubernetes.io/instance": "trino",
        "app.kubernetes.io/component": "worker",
    }
    policies = _policy_for(renders[("trino", "dev")], worker)
    assert policies and all(not admits(p, PIPELINE_POD, "http") for p in policies)
    assert any(admits(p, TRINO_POD, "http") for p in policies)


def test_config_maps_hold_no_secret_values(renders: dict[tuple[str, str], Render]) -> None:
    for (chart, env), rendered in renders.items():
        for cm in rendered.of_kind("ConfigMap"):
            for key, value in (cm.get("data") or {}).items():
                for line in str(value).splitlines():
                    m = re.search(
                        r"(password|secret[-_.]?key|access[-_.]?key)[\"']?\s*[=:]\s*(\S+)", line, re.IGNORECASE
                    )
                    psql_variable = ":'password'" in line  # psql interpolation of a \getenv variable
                    if m and not psql_variable and not line.lstrip().startswith(("#", "-", "<name>")):
                        assert m.group(2).lstrip('"').startswith(("$", ":'", "<value>${env.")), (
                            f"{chart} ({env}) ConfigMap {cm['metadata']['name']}/{key}: {line.strip()!r}"
                        )


@pytest.mark.parametrize("chart", DATA_CHARTS)
def test_secrets_are_only_generated_in_dev(renders: dict[tuple[str, str], Render], chart: str) -> None:
    for env in ("staging", "prod"):
        assert not renders[(chart, env)].of_kind("Secret"), f"{chart} ({env}): create Secrets outside the chart"


def test_dev_secrets_have_the_keys_consumers_read(renders: dict[tuple[str, str], Render]) -> None:
    postgres = renders[("postgres", "dev")].named("Secret", "tributary-postgres")
    assert {"postgres-password", "metastore-password", "tributary-password"} == set(postgres["data"])
    minio = renders[("minio", "dev")]
    assert set(minio.named("Secret", "minio-root")["data"]) == {"root-user", "root-password"}
    lake = minio.named("Secret", "tributary-lake-credentials")
    assert set(lake["data"]) == {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"}
    hms = env_values("hive-metastore", "dev")
    assert hms.get("postgres", {}).get("existingSecret", "tributary-postgres") == "tributary-postgres"


def test_postgres_creates_the_metastore_and_pipeline_databases(renders: dict[tuple[str, str], Render]) -> None:
    script = renders[("postgres", "dev")].named("ConfigMap", "postgres-initdb")["data"]["10-databases.sh"]
    assert 'create_database "metastore" "hive" "metastore-password"' in script
    assert 'create_database "tributary" "tributary" "tributary-password"' in script
    assert "\\getenv password APP_DB_PASSWORD" in script, "passwords reach psql through its environment only"
    sts = renders[("postgres", "dev")].named("StatefulSet", "postgres")
    env = {e["name"]: e.get("value") for e in sts["spec"]["template"]["spec"]["containers"][0]["env"]}
    assert env["POSTGRES_PASSWORD_FILE"].startswith("/run/secrets/")
    assert env["PGDATA"] == "/var/lib/postgresql/data/pgdata"


def test_trino_catalogs(renders: dict[tuple[str, str], Render]) -> None:
    rendered = renders[("trino", "dev")]
    catalogs = rendered.named("ConfigMap", "trino-catalogs")["data"]
    iceberg = dict(line.split("=", 1) for line in catalogs["iceberg.properties"].splitlines() if "=" in line)
    assert iceberg["connector.name"] == "iceberg"
    assert iceberg["iceberg.catalog.type"] == "hive_metastore"
    assert iceberg["hive.metastore.uri"] == "thrift://hive-metastore:9083"
    assert iceberg["fs.native-s3.enabled"] == "true"
    assert iceberg["s3.path-style-access"] == "true"
    assert iceberg["s3.aws-access-key"] == "${ENV:AWS_ACCESS_KEY_ID}"
    hive = dict(line.split("=", 1) for line in catalogs["hive.properties"].splitlines() if "=" in line)
    assert hive["connector.name"] == "hive"
    assert hive["hive.non-managed-table-writes-enabled"] == "true"
    assert hive["fs.native-s3.enabled"] == "true"
    coordinator = rendered.named("Deployment", "trino")["spec"]["template"]["spec"]["containers"][0]
    assert coordinator["envFrom"] == [{"secretRef": {"name": "tributary-lake-credentials"}}]
    jvm = rendered.named("ConfigMap", "trino")["data"]["jvm.config"]
    assert "-Xmx1G" in jvm, "dev heap is sized for a laptop cluster"
    assert rendered.named("Deployment", "trino-worker")["spec"]["replicas"] == 1
    assert renders[("trino", "prod")].named("Deployment", "trino-worker")["spec"]["replicas"] == 3


def test_metastore_schema_is_initialised_once(renders: dict[tuple[str, str], Render]) -> None:
    for env in ENVS:
        rendered = renders[("hive-metastore", env)]
        jobs = rendered.of_kind("Job")
        assert [j["metadata"]["name"] for j in jobs] == ["hive-metastore-schema-1"]
        assert jobs[0]["spec"]["template"]["spec"]["containers"][0]["command"][-1] == "init-schema"
        deployment = rendered.named("Deployment", "hive-metastore")
        spec = deployment["spec"]["template"]["spec"]
        assert [c["command"][-1] for c in spec["initContainers"]] == ["wait-for-schema"]
        assert spec["containers"][0]["command"][-1] == "serve"
        assert deployment["spec"]["template"]["spec"]["containers"][0]["image"].endswith(
            "@" + deploy_values("hive-metastore", env)["image"]["digest"]
        )
    assert renders[("hive-metastore", "prod")].named("Deployment", "hive-metastore")["spec"]["replicas"] == 2


def test_metastore_configuration(renders: dict[tuple[str, str], Render]) -> None:
    data = renders[("hive-metastore", "dev")].named("ConfigMap", "hive-metastore")["data"]
    site = data["metastore-site.xml"]
    assert "<value>jdbc:postgresql://postgres:5432/metastore</value>" in site
    assert "<value>${env.METASTORE_DB_PASSWORD}</value>" in site
    assert "<value>s3a://tributary-warehouse/managed</value>" in site
    assert "<value>s3a://tributary-warehouse/external</value>" in site
    for config in (site, data["core-site.xml"]):
        assert "<name>fs.s3a.path.style.access</name>" in config
        assert "EnvironmentVariableCredentialsProvider" in config
        assert "<name>fs.s3.impl</name>" in config, "s3:// locations must resolve to S3A too"
    assert 'METASTORE_DB_PASSWORD="$(< /run/secrets/metastore-db/password)"' in data["metastore.sh"]


def test_minio_bootstraps_buckets_and_a_least_privilege_user(renders: dict[tuple[str, str], Render]) -> None:
    rendered = renders[("minio", "dev")]
    data = rendered.named("ConfigMap", "minio-bootstrap")["data"]
    for bucket in ("tributary-lake", "tributary-warehouse", "argo-artifacts"):
        assert f'mc mb --ignore-existing "local/{bucket}"' in data["bootstrap.sh"]
    policy = json.loads(data["lake-policy.json"])
    resources = {r for statement in policy["Statement"] for r in statement["Resource"]}
    assert "arn:aws:s3:::*" not in resources and "arn:aws:s3:::tributary-lake/*" in resources
    job = rendered.named("Job", "minio-bootstrap")
    assert job["metadata"]["annotations"]["helm.sh/hook"] == "post-install,post-upgrade"


def test_notes_tell_how_to_reach_each_release() -> None:
    for chart, needle in {
        "postgres": "port-forward svc/postgres",
        "minio": "port-forward svc/minio",
        "hive-metastore": "thrift://hive-metastore",
        "trino": "port-forward svc/trino",
        "tributary": "argo submit",
    }.items():
        notes = render_env(chart, "dev").notes
        assert needle in notes, f"{chart} NOTES.txt"


def test_release_name_does_not_leak_into_cross_chart_names() -> None:
    """Installed under another release name, a chart keeps working with fullnameOverride (as the umbrella does)."""
    rendered = render(
        CHARTS / "trino", merge(deploy_values("trino", "dev"), {"fullnameOverride": "trino"}), release="lakehouse"
    )
    assert rendered.named("Service", "trino")
    assert "discovery.uri=http://trino:8080" in rendered.named("ConfigMap", "trino-worker")["data"]["config.properties"]


# Trino's JVM needs memory beside the heap: code cache (ReservedCodeCacheSize=512M in jvm.config), metaspace for
# the plugins, thread stacks, GC structures, direct buffers. Trino's deployment guide puts -Xmx at 70-85% of a
# node's memory and lower on small nodes; a container has no slack beyond its limit, so the charts use the low end
# and a floor: heap <= 70% of the limit and >= 768Mi below it (charts/trino/README.md, "Memory").
HEAP_FRACTION = 0.7
MIN_NON_HEAP_MIB = 768
K8S_UNITS = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "k": 10**3, "M": 10**6, "G": 10**9, "T": 10**12, "": 1}
JVM_UNITS = {"K": 2**10, "M": 2**20, "G": 2**30, "": 1}
TRINO_UNITS = {"B": 1, "kB": 2**10, "MB": 2**20, "GB": 2**30, "TB": 2**40}  # airlift DataSize is binary


def _mib(size: str | int, units: dict[str, int]) -> float:
    match = re.fullmatch(r"([0-9]+(?:\.[0-9]+)?)([A-Za-z]*)", str(size))
    assert match and match.group(2) in units, f"not a size: {size}"
    return float(match.group(1)) * units[match.group(2)] / 2**20


def _trino_values(env: str | None) -> dict[str, Any]:
    defaults = yaml.safe_load((CHARTS / "trino/values.yaml").read_text())
    return merge(defaults, env_values("trino", env)) if env else defaults


@pytest.mark.parametrize("env", [None, *ENVS])
@pytest.mark.parametrize("role", ["coordinator", "worker"])
def test_trino_heap_leaves_room_for_the_jvm(env: str | None, role: str) -> None:
    cfg = _trino_values(env)[role]
    where = f"charts/trino/values{'-' + env if env else ''}.yaml {role}"
    heap = _mib(cfg["jvm"]["maxHeapSize"], JVM_UNITS)
    limit = _mib(cfg["resources"]["limits"]["memory"], K8S_UNITS)
    assert heap <= HEAP_FRACTION * limit, f"{where}: heap {heap:.0f}Mi is over 70% of the {limit:.0f}Mi limit"
    assert limit - heap >= MIN_NON_HEAP_MIB, f"{where}: only {limit - heap:.0f}Mi beside the heap"
    assert cfg["resources"]["requests"]["memory"] == cfg["resources"]["limits"]["memory"], f"{where}: Guaranteed"
    # Trino refuses to start unless query.max-memory-per-node fits in the heap minus memory.heap-headroom-per-node
    # (default 30% of the heap).
    per_node = _mib(cfg["maxMemoryPerNode"], TRINO_UNITS)
    assert per_node <= 0.7 * heap, f"{where}: maxMemoryPerNode {cfg['maxMemoryPerNode']} leaves no heap headroom"


@pytest.mark.parametrize("env", ENVS)
def test_trino_jvm_and_probes_follow_the_upstream_chart(renders: dict[tuple[str, str], Render], env: str) -> None:
    """Liveness is HTTP GET /v1/info (the server answers); readiness and startup are the image's health-check, as
    in trinodb/charts: it GETs /v1/info too and also requires "starting": false, which a plain httpGet cannot see
    (a coordinator still loading catalogs answers /v1/info with 200)."""
    rendered = renders[("trino", env)]
    for role, name in (("coordinator", "trino"), ("worker", "trino-worker")):
        (container,) = rendered.named("Deployment", name)["spec"]["template"]["spec"]["containers"]
        where = f"trino ({env}) {role}"
        assert container["livenessProbe"]["httpGet"] == {"path": "/v1/info", "port": "http"}, where
        for probe in ("readinessProbe", "startupProbe"):
            assert container[probe]["exec"] == {"command": ["/usr/lib/trino/bin/health-check"]}, f"{where} {probe}"
        assert container["startupProbe"]["periodSeconds"] * container["startupProbe"]["failureThreshold"] >= 180
        jvm = rendered.named("ConfigMap", name)["data"]["jvm.config"].split()
        heap = _trino_values(env)[role]["jvm"]["maxHeapSize"]
        assert f"-Xmx{heap}" in jvm, where
        assert container["resources"] == _trino_values(env)[role]["resources"], where
