"""Read a rendered Argo WorkflowTemplate into what the local runner executes, refusing what it cannot honour.

Every key of the spec is either executed locally, listed in :data:`CLUSTER_ONLY` (it has no meaning on one machine:
metrics, garbage collection, requests, labels …), or refused with :class:`UnsupportedSpec` naming where it is.
Nothing is ignored silently. Images, limits and security contexts are read too: the container launcher runs them
as the pod would; the process launchers have no use for them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from workflows.local.expressions import (
    ExpressionError,
    check_when,
    parse_depends,
    parse_duration,
    retry_condition,
    tags,
)
from workflows.local.model import (
    ContainerTemplate,
    DagTask,
    EnvVar,
    Limits,
    Output,
    RetrySpec,
    SecurityContext,
    UnsupportedSpec,
    Volume,
    WorkflowParameter,
    WorkflowSpec,
)

__all__ = ["CLUSTER_ONLY", "UnsupportedSpec", "parse_workflow"]

# Keys the local runner accepts but that only matter in a cluster, with why.
CLUSTER_ONLY: dict[str, str] = {
    "metadata.labels": "labels select objects in Kubernetes",
    "metadata.annotations": "annotations are read by the Argo UI",
    "metadata.namespace": "one machine has no namespaces",
    "spec.serviceAccountName": "pods' Kubernetes identity",
    "spec.podGC": "deleting finished pods",
    "spec.ttlStrategy": "deleting finished workflows",
    "spec.metrics": "Prometheus metrics of the controller",
    "spec.podMetadata": "labels of the pods",
    "spec.workflowMetadata": "labels of the Workflow objects",
    "template.metrics": "Prometheus metrics of the controller",
    "container.imagePullPolicy": "no images are pulled locally",
    "resources.requests": "what the scheduler reserves for the pod",
    "emptyDir.medium": "where the kubelet keeps an emptyDir",
    "configMapVolume.defaultMode": "file modes of mounted ConfigMap files",
    "parameter.description": "documentation",
    "spec.artifactRepositoryRef": "where Argo uploads output artifacts",
    "outputs.artifacts": "files Argo uploads for its UI; a local run's are in the lake's report folder already",
}
_EXIT_HANDLER_VARS = ("workflow.status", "workflow.failures")


def parse_workflow(doc: Mapping[str, Any]) -> WorkflowSpec:
    """Read and check a rendered WorkflowTemplate (or Workflow) dict.

    Raises:
        UnsupportedSpec: anything the local runner cannot execute faithfully, naming its place in the spec.
    """
    try:
        return _parse(doc)
    except ExpressionError as exc:
        raise UnsupportedSpec(str(exc)) from None


def _parse(doc: Mapping[str, Any]) -> WorkflowSpec:
    if doc.get("kind") not in ("WorkflowTemplate", "Workflow"):
        raise UnsupportedSpec(f"kind {doc.get('kind')!r}: the local runner executes a WorkflowTemplate or a Workflow")
    _keys(doc, "", {"apiVersion", "kind", "metadata", "spec"})
    meta = doc.get("metadata") or {}
    _keys(meta, "metadata", {"name", "generateName"}, scope="metadata")
    spec = doc.get("spec") or {}
    _keys(
        spec,
        "spec",
        {
            "entrypoint",
            "arguments",
            "templates",
            "onExit",
            "parallelism",
            "activeDeadlineSeconds",
            "synchronization",
            "securityContext",
        },
        scope="spec",
    )
    parameters = _workflow_parameters(spec.get("arguments") or {})
    raw_templates = {t.get("name"): t for t in spec.get("templates") or []}
    entry = spec.get("entrypoint")
    if entry not in raw_templates or "dag" not in raw_templates[entry]:
        raise UnsupportedSpec(f"spec.entrypoint {entry!r}: the local runner needs a DAG template as entrypoint")
    on_exit = spec.get("onExit")
    if on_exit is not None and on_exit not in raw_templates:
        raise UnsupportedSpec(f"spec.onExit {on_exit!r} names no template")
    templates = {
        name: _container_template(t, exit_handler=name == on_exit, parameters=parameters)
        for name, t in raw_templates.items()
        if name != entry
    }
    tasks = _dag(raw_templates[entry], templates, parameters)
    return WorkflowSpec(
        name=meta.get("name") or meta.get("generateName") or "workflow",
        parameters=parameters,
        tasks=tasks,
        templates=templates,
        on_exit=on_exit,
        parallelism=_int(spec.get("parallelism"), "spec.parallelism"),
        deadline_s=_int(spec.get("activeDeadlineSeconds"), "spec.activeDeadlineSeconds"),
        mutexes=_mutexes(spec.get("synchronization")),
        security=_security(spec.get("securityContext") or {}, "spec.securityContext", pod=True),
    )


def _workflow_parameters(arguments: Mapping[str, Any]) -> dict[str, WorkflowParameter]:
    _keys(arguments, "spec.arguments", {"parameters"})
    params = {}
    for i, p in enumerate(arguments.get("parameters") or []):
        _keys(p, f"spec.arguments.parameters[{i}]", {"name", "value", "enum"}, scope="parameter")
        params[p["name"]] = WorkflowParameter(
            value=None if p.get("value") is None else str(p["value"]),
            enum=tuple(str(v) for v in p.get("enum") or ()),
        )
    return params


def _mutexes(sync: Mapping[str, Any] | None) -> tuple[str, ...]:
    if not sync:
        return ()
    _keys(sync, "spec.synchronization", {"mutexes"})
    names = []
    for i, mutex in enumerate(sync.get("mutexes") or []):
        _keys(mutex, f"spec.synchronization.mutexes[{i}]", {"name"})
        names.append(str(mutex["name"]))
    return tuple(names)


def _container_template(
    t: Mapping[str, Any], *, exit_handler: bool, parameters: Mapping[str, WorkflowParameter]
) -> ContainerTemplate:
    name = t.get("name")
    where = f"template {name}"
    _keys(
        t,
        where,
        {"name", "container", "inputs", "outputs", "retryStrategy", "activeDeadlineSeconds", "volumes"},
        scope="template",
    )
    if "container" not in t:
        raise UnsupportedSpec(f"{where}: only container templates (and the entrypoint DAG) are supported locally")
    c = t["container"]
    _keys(
        c,
        f"{where}.container",
        {"image", "command", "args", "env", "envFrom", "volumeMounts", "resources", "securityContext"},
        scope="container",
    )
    command = [str(x) for x in c.get("command") or []]
    if len(command) != 3 or command[0] not in ("python", "python3") or command[1] != "-m":
        raise UnsupportedSpec(
            f"{where}.container.command {command}: the local runner runs 'python -m <module>' commands only"
        )
    inputs = _inputs(t.get("inputs") or {}, where)
    allowed = {"workflow.name", *(f"workflow.parameters.{p}" for p in parameters)}
    allowed |= {f"inputs.parameters.{p}" for p in inputs}
    if exit_handler:
        allowed |= set(_EXIT_HANDLER_VARS)
    args = tuple(str(a) for a in c.get("args") or [])
    env = tuple(_env_var(e, f"{where}.container.env[{i}]") for i, e in enumerate(c.get("env") or []))
    for text in [*args, *(e.value for e in env if e.value is not None)]:
        _check_tags(text, allowed, where)
    volumes = {v.get("name"): _volume(v, f"{where}.volumes") for v in t.get("volumes") or []}
    mounts = {}
    read_only = set()
    for i, vm in enumerate(c.get("volumeMounts") or []):
        _keys(vm, f"{where}.container.volumeMounts[{i}]", {"name", "mountPath", "readOnly"}, scope="volumeMount")
        if vm["name"] not in volumes:
            raise UnsupportedSpec(
                f"{where}.container.volumeMounts[{i}]: volume {vm['name']!r} is not a template volume"
            )
        mounts[str(vm["mountPath"]).rstrip("/")] = volumes[vm["name"]]
        if vm.get("readOnly"):
            read_only.add(str(vm["mountPath"]).rstrip("/"))
    outputs = _outputs(t.get("outputs") or {}, where)
    for out in outputs:
        if not any(out.path.startswith(mp + "/") and mounts[mp].config_map is None for mp in mounts):
            raise UnsupportedSpec(
                f"{where}.outputs {out.name}: path {out.path} is not under an emptyDir mount; "
                "the local runner reads outputs from a node's emptyDir folders"
            )
    return ContainerTemplate(
        name=str(name),
        module=command[2],
        args=args,
        inputs=inputs,
        outputs=outputs,
        env=env,
        env_from=tuple(_env_from(e, f"{where}.container.envFrom[{i}]") for i, e in enumerate(c.get("envFrom") or [])),
        mounts=mounts,
        retry=_retry(t.get("retryStrategy"), where),
        deadline_s=_int(t.get("activeDeadlineSeconds"), f"{where}.activeDeadlineSeconds"),
        image=str(c.get("image") or ""),
        command=tuple(command),
        limits=_limits(c.get("resources") or {}, f"{where}.container.resources"),
        security=_security(c.get("securityContext") or {}, f"{where}.container.securityContext", pod=False),
        read_only_mounts=frozenset(read_only),
    )


def _limits(resources: Mapping[str, Any], where: str) -> Limits:
    _keys(resources, where, {"limits"}, scope="resources")
    limits = resources.get("limits") or {}
    _keys(limits, f"{where}.limits", {"cpu", "memory"})
    cpu, memory = limits.get("cpu"), limits.get("memory")
    return Limits(cpu=None if cpu is None else str(cpu), memory=None if memory is None else str(memory))


def _security(ctx: Mapping[str, Any], where: str, *, pod: bool) -> SecurityContext:
    """A pod's or a container's securityContext, with the fields a container engine can apply."""
    common = {"runAsUser", "runAsGroup", "runAsNonRoot", "seccompProfile"}
    only = {"fsGroup"} if pod else {"readOnlyRootFilesystem", "allowPrivilegeEscalation", "capabilities"}
    _keys(ctx, where, common | only)
    capabilities = ctx.get("capabilities") or {}
    _keys(capabilities, f"{where}.capabilities", {"drop"})
    seccomp = ctx.get("seccompProfile") or {}
    _keys(seccomp, f"{where}.seccompProfile", {"type"})
    return SecurityContext(
        run_as_user=_int(ctx.get("runAsUser"), f"{where}.runAsUser"),
        run_as_group=_int(ctx.get("runAsGroup"), f"{where}.runAsGroup"),
        run_as_non_root=bool(ctx.get("runAsNonRoot", False)),
        fs_group=_int(ctx.get("fsGroup"), f"{where}.fsGroup"),
        read_only_root_filesystem=bool(ctx.get("readOnlyRootFilesystem", False)),
        allow_privilege_escalation=bool(ctx.get("allowPrivilegeEscalation", True)),
        drop_capabilities=tuple(str(c) for c in capabilities.get("drop") or ()),
        seccomp_profile=None if not seccomp else str(seccomp.get("type")),
    )


def _inputs(inputs: Mapping[str, Any], where: str) -> dict[str, str | None]:
    _keys(inputs, f"{where}.inputs", {"parameters"})
    out = {}
    for i, p in enumerate(inputs.get("parameters") or []):
        _keys(p, f"{where}.inputs.parameters[{i}]", {"name", "default"}, scope="parameter")
        out[str(p["name"])] = None if p.get("default") is None else str(p["default"])
    return out


def _outputs(outputs: Mapping[str, Any], where: str) -> tuple[Output, ...]:
    _keys(outputs, f"{where}.outputs", {"parameters"}, scope="outputs")
    out = []
    for i, p in enumerate(outputs.get("parameters") or []):
        w = f"{where}.outputs.parameters[{i}]"
        _keys(p, w, {"name", "valueFrom"})
        vf = p.get("valueFrom") or {}
        _keys(vf, f"{w}.valueFrom", {"path", "default"})
        if "path" not in vf:
            raise UnsupportedSpec(f"{w}.valueFrom: only output parameters read from a file (path) are supported")
        out.append(Output(str(p["name"]), str(vf["path"]), None if vf.get("default") is None else str(vf["default"])))
    return tuple(out)


def _env_var(e: Mapping[str, Any], where: str) -> EnvVar:
    _keys(e, where, {"name", "value", "valueFrom"})
    if "valueFrom" not in e:
        return EnvVar(name=e["name"], value=str(e.get("value", "")))
    vf = e["valueFrom"]
    _keys(vf, f"{where}.valueFrom", {"secretKeyRef", "configMapKeyRef"})
    kind, ref = next(iter(vf.items()))
    _keys(ref, f"{where}.valueFrom.{kind}", {"name", "key", "optional"})
    source = {"secret": ref["name"]} if kind == "secretKeyRef" else {"config_map": ref["name"]}
    return EnvVar(name=e["name"], key=ref["key"], optional=bool(ref.get("optional", False)), **source)


def _env_from(e: Mapping[str, Any], where: str) -> tuple[str, bool]:
    _keys(e, where, {"configMapRef"})
    ref = e["configMapRef"]
    _keys(ref, f"{where}.configMapRef", {"name", "optional"})
    return str(ref["name"]), bool(ref.get("optional", False))


def _volume(v: Mapping[str, Any], where: str) -> Volume:
    name = v.get("name")
    _keys(v, f"{where}.{name}", {"name", "emptyDir", "configMap"})
    if "emptyDir" in v:
        empty_dir = v["emptyDir"] or {}
        _keys(empty_dir, f"{where}.{name}.emptyDir", {"sizeLimit"}, scope="emptyDir")
        size = empty_dir.get("sizeLimit")
        return Volume(name=str(name), size_limit=None if size is None else str(size))
    if "configMap" in v:
        cm = v["configMap"]
        _keys(cm, f"{where}.{name}.configMap", {"name", "items", "optional"}, scope="configMapVolume")
        items = []
        for i, item in enumerate(cm.get("items") or []):
            _keys(item, f"{where}.{name}.configMap.items[{i}]", {"key", "path"})
            items.append((str(item["key"]), str(item["path"])))
        return Volume(name=str(name), config_map=cm["name"], items=tuple(items), optional=bool(cm.get("optional")))
    raise UnsupportedSpec(f"{where}.{name}: only emptyDir and configMap volumes are supported locally")


def _retry(r: Mapping[str, Any] | None, where: str) -> RetrySpec | None:
    if r is None:
        return None
    w = f"{where}.retryStrategy"
    _keys(r, w, {"limit", "retryPolicy", "expression", "backoff"})
    policy = r.get("retryPolicy", "Always" if "expression" in r else "OnFailure")
    if policy not in ("Always", "OnFailure"):
        raise UnsupportedSpec(
            f"{w}.retryPolicy {policy!r}: locally every non-zero exit is a failure; use Always "
            "or OnFailure with an exit-code expression"
        )
    if "expression" not in r:
        raise UnsupportedSpec(
            f"{w}: without an expression every failure would be retried, also exit code 2 "
            "(bad input); add expression 'asInt(lastRetry.exitCode) == 75'"
        )
    backoff = r.get("backoff") or {}
    _keys(backoff, f"{w}.backoff", {"duration", "factor", "cap", "maxDuration"})
    retry_condition(str(r["expression"]))  # refuses what the local runner cannot evaluate
    return RetrySpec(
        limit=_int(r.get("limit"), f"{w}.limit") or 0,
        expression=str(r["expression"]),
        duration_s=parse_duration(backoff.get("duration", 0)),
        factor=float(_int(backoff.get("factor"), f"{w}.backoff.factor") or 1),
        cap_s=parse_duration(backoff["cap"]) if "cap" in backoff else None,
        max_duration_s=parse_duration(backoff["maxDuration"]) if "maxDuration" in backoff else None,
    )


def _dag(
    t: Mapping[str, Any], templates: Mapping[str, ContainerTemplate], parameters: Mapping[str, WorkflowParameter]
) -> tuple[DagTask, ...]:
    where = f"template {t['name']}"
    _keys(t, where, {"name", "dag"}, scope="template")
    _keys(t["dag"], f"{where}.dag", {"tasks"})
    tasks: dict[str, DagTask] = {}
    for raw in t["dag"].get("tasks") or []:
        task = _dag_task(raw, where, templates)
        if task.name in tasks:
            raise UnsupportedSpec(f"{where}: task {task.name!r} is defined twice")
        tasks[task.name] = task
    for task in tasks.values():
        unknown = [d for d in task.depends if d not in tasks]
        if unknown:
            raise UnsupportedSpec(f"{where}.tasks.{task.name}: depends on unknown tasks {unknown}")
    for task in tasks.values():
        upstream = _ancestors(task.name, tasks)
        allowed = {"workflow.name", *(f"workflow.parameters.{p}" for p in parameters)}
        allowed |= {
            f"tasks.{u}.outputs.parameters.{o.name}" for u in upstream for o in templates[tasks[u].template].outputs
        }
        for text in [*task.arguments.values(), *([task.when] if task.when else [])]:
            _check_tags(text, allowed, f"{where}.tasks.{task.name}")
    return tuple(tasks.values())


def _dag_task(raw: Mapping[str, Any], where: str, templates: Mapping[str, ContainerTemplate]) -> DagTask:
    name = raw.get("name")
    w = f"{where}.tasks.{name}"
    _keys(raw, w, {"name", "template", "arguments", "depends", "dependencies", "when"})
    if raw.get("template") not in templates:
        raise UnsupportedSpec(f"{w}: template {raw.get('template')!r} is not a container template of this spec")
    if "depends" in raw and "dependencies" in raw:
        raise UnsupportedSpec(f"{w}: use either depends or dependencies, not both")
    depends = parse_depends(raw["depends"]) if "depends" in raw else tuple(raw.get("dependencies") or ())
    arguments = raw.get("arguments") or {}
    _keys(arguments, f"{w}.arguments", {"parameters"})
    values = {}
    for i, p in enumerate(arguments.get("parameters") or []):
        _keys(p, f"{w}.arguments.parameters[{i}]", {"name", "value"})
        values[str(p["name"])] = str(p.get("value", ""))
    template = templates[raw["template"]]
    unknown = set(values) - set(template.inputs)
    missing = {n for n, default in template.inputs.items() if default is None} - set(values)
    if unknown or missing:
        raise UnsupportedSpec(
            f"{w}: arguments do not match template {template.name}'s inputs "
            f"(unknown {sorted(unknown)}, missing {sorted(missing)})"
        )
    if raw.get("when") is not None:
        check_when(str(raw["when"]))
    return DagTask(
        name=str(name),
        template=template.name,
        arguments=values,
        depends=depends,
        when=None if raw.get("when") is None else str(raw["when"]),
    )


def _ancestors(name: str, tasks: Mapping[str, DagTask]) -> set[str]:
    seen: set[str] = set()
    todo = list(tasks[name].depends)
    while todo:
        current = todo.pop()
        if current == name:
            raise UnsupportedSpec(f"task {name!r} depends on itself (a cycle)")
        if current not in seen:
            seen.add(current)
            todo.extend(tasks[current].depends)
    return seen


def _check_tags(text: str, allowed: Iterable[str], where: str) -> None:
    allowed = set(allowed)
    for name in tags(text):
        if name not in allowed:
            raise UnsupportedSpec(f"{where}: {{{{{name}}}}} cannot be resolved by the local runner here")


def _int(value: Any, where: str) -> int | None:
    if value is None:
        return None
    try:
        return int(str(value))
    except ValueError:
        raise UnsupportedSpec(f"{where} {value!r} is not an integer") from None


def _keys(obj: Mapping[str, Any], where: str, supported: Iterable[str], scope: str = "") -> None:
    """Refuse keys of ``obj`` that are neither ``supported`` nor cluster-only in ``scope`` (see CLUSTER_ONLY)."""
    if not isinstance(obj, Mapping):
        raise UnsupportedSpec(f"{where or 'document'}: expected a mapping, got {type(obj).__name__}")
    cluster = {k.partition(".")[2] for k in CLUSTER_ONLY if k.partition(".")[0] == scope}
    unknown = set(obj) - set(supported) - cluster
    if unknown:
        place = f"{where}." if where else ""
        raise UnsupportedSpec(
            f"{', '.join(place + k for k in sorted(unknown))}: not supported by the local runner; "
            "remove it or teach workflows/local/spec.py what it means on one machine"
        )
