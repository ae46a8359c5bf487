"""Execute a parsed WorkflowSpec on this machine: each container template a ``python -m`` process, or a container.

What a pod would get, the task gets, resolved from local stand-ins:

- ConfigMaps (``envFrom``, ``configMapKeyRef``, ``configMap`` volumes) from :class:`LocalConfigMap` objects;
- Secrets (``secretKeyRef``) from the process environment: used when present, skipped when optional and absent,
  skipped when the run declares the Secret not needed (a folder lake has no S3 keys), else a clear error;
- volume mounts as per-node folders under the work dir. For a process, container paths in args, literal env values
  and output paths are mapped to them, and ``emptyDir`` folders are emptied before every attempt, as each retry is
  a new pod. For a container (:mod:`workflows.local.container`) the paths stay as the spec says: the ConfigMap folder is
  mounted read-only, an ``emptyDir`` is a tmpfs, and the folders holding output parameters are mounted from here;
- parameters, ``when``, ``depends``, retries, deadlines and the exit handler as Argo applies them. The spec's mutex
  is the cluster's; a local run holds the lake's own lock instead (:mod:`workflows.local.lakelock`, taken by
  :func:`workflows.local.execute`), which also keeps out runs from other work folders or machines.

The task's environment is only the runtime basics (none for a container: the image has its own) plus what the
spec declares, never this process's whole environment, so a stage missing a declaration fails here as it would
in the cluster. How a task is started is the launcher's business (:mod:`workflows.local.launch`).
"""

from __future__ import annotations

import json
import re
import shutil
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TextIO

from workflows.local.expressions import evaluate_when, retry_condition, substitute
from workflows.local.launch import Launcher, ProcessLauncher
from workflows.local.model import ContainerTemplate, DagTask, UnsupportedSpec, WorkflowSpec
from workflows.local.runner import DagRunner
from workflows.local.task import ContainerRun, Mount, Retry, Scope, Task, TaskSetupError

EXIT_HANDLER_NODE = "onExit"  # how Argo names the exit handler's node
NODES_MOUNT = "/var/run/tributary"  # where a container exit handler finds nodes.json (a local-run extra)
_TASK_OUTPUT = re.compile(r"^tasks\.([^.]+)\.outputs\.parameters\.(.+)$")


@dataclass(frozen=True)
class LocalConfigMap:
    """A ConfigMap's stand-in: its keys as environment values, and files for ``configMap`` volumes."""

    data: Mapping[str, str]
    files: Mapping[str, Path] = field(default_factory=dict)  # key -> local file holding the value


@dataclass(frozen=True)
class LocalResources:
    """What this machine provides in place of the cluster's ConfigMaps, Secrets and container runtime."""

    config_maps: Mapping[str, LocalConfigMap]
    secrets: Callable[[str, str], str | None]  # (Secret, key) -> value, None when absent
    not_needed: Mapping[str, str] = field(default_factory=dict)  # Secret -> why this run does without it
    base_env: Mapping[str, str] = field(default_factory=dict)  # PATH, HOME, … every process gets


class LocalWorkflow:
    """One local run of a :class:`WorkflowSpec`."""

    def __init__(
        self,
        spec: WorkflowSpec,
        *,
        run_id: str,
        resources: LocalResources,
        work_dir: Path,
        parameters: Mapping[str, str] | None = None,
        parallelism: int | None = None,
        progress: TextIO = sys.stderr,
        sleep: Callable[[float], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
        python: str = sys.executable,
        launcher: Launcher | None = None,
    ) -> None:
        """Bind ``spec`` to this machine.

        Args:
            spec: The parsed WorkflowTemplate.
            run_id: Value of ``{{workflow.name}}``.
            resources: Local ConfigMaps, Secrets and runtime environment.
            work_dir: Folder of this run: ``logs/`` (task logs, nodes.json) and ``nodes/`` (mounted folders).
            parameters: Workflow parameter values overriding the spec's defaults (e.g. ``force``).
            parallelism: Override of the spec's parallelism.
            progress: Where each task's phase is printed.
            sleep: Waits between retries (replaceable in tests; default: a wait an interrupt ends).
            clock: Monotonic clock for backoff budgets and deadlines (replaceable in tests).
            python: Interpreter running ``python -m <module>`` (process launchers).
            launcher: Starts each task (default a fresh process; :class:`workflows.local.warm.WarmLauncher` forks it
                from a pre-imported interpreter; :class:`workflows.local.container.ContainerLauncher` runs the
                template's image). It is closed when the run ends.

        Raises:
            UnsupportedSpec: a parameter is unknown, missing or outside its enum.
        """
        self.spec = spec
        self.run_id = run_id
        self.resources = resources
        self.work_dir = work_dir
        self.python = python
        self.launcher: Launcher = launcher or ProcessLauncher()
        self.in_containers = self.launcher.name == "container"
        self.parameters = _parameters(spec, parameters or {})
        tasks = [self._task(t) for t in spec.tasks]
        handler = None
        if spec.on_exit is not None:
            template = spec.templates[spec.on_exit]
            handler = Task(
                EXIT_HANDLER_NODE,
                (),
                prepare=lambda scope: self._bind(EXIT_HANDLER_NODE, template, {}, scope, show_output=True),
            )
        self.runner = DagRunner(
            tasks,
            exit_handler=handler,
            parallelism=parallelism or spec.parallelism or 4,
            log_dir=work_dir / "logs",
            progress=progress,
            sleep=sleep,
            clock=clock,
            deadline_s=spec.deadline_s,
            launcher=self.launcher,
        )

    def missing_secrets(self) -> list[str]:
        """Required Secret keys no template can get here, as ``Secret/key`` (checked before a run starts)."""
        missing = {
            f"{var.secret}/{var.key}"
            for template in self.spec.templates.values()
            for var in template.env
            if var.secret is not None
            and not var.optional
            and var.secret not in self.resources.not_needed
            and self.resources.secrets(var.secret, var.key or "") is None
        }
        return sorted(missing)

    def run(self) -> bool:
        """Run the DAG and the exit handler; True when everything succeeded (and nothing interrupted the run)."""
        try:
            return self.runner.run()
        finally:
            self.launcher.close()

    def images(self) -> list[str]:
        """The images the spec's templates run."""
        return sorted({t.image for t in self.spec.templates.values() if t.image})

    # -- building tasks ----------------------------------------------------------------------------------------

    def _task(self, task: DagTask) -> Task:
        template = self.spec.templates[task.template]
        when = None
        if task.when is not None:
            expression = task.when

            def when(outputs: Mapping[str, Mapping[str, str]]) -> bool:
                return evaluate_when(expression, self._dag_resolver(outputs))

        return Task(
            task.name,
            (),
            depends=task.depends,
            when=when,
            prepare=lambda scope: self._bind(task.name, template, task.arguments, scope),
        )

    def _bind(
        self,
        node: str,
        template: ContainerTemplate,
        arguments: Mapping[str, str],
        scope: Scope,
        *,
        show_output: bool = False,
    ) -> Task:
        """The concrete command of ``node`` once its upstream outputs (and, for the exit handler, the outcome) exist."""
        dag_resolve = self._dag_resolver(scope.outputs)
        inputs = {
            name: substitute(arguments[name], dag_resolve) if name in arguments else default
            for name, default in template.inputs.items()
        }
        resolve = self._template_resolver(inputs, scope, node)
        node_dir = self.work_dir / "nodes" / node
        local_mounts, scratch = self._mount(template, node_dir)

        def local(path: str) -> str:
            if self.in_containers:  # the container sees the spec's own paths
                return path
            for mount in sorted(local_mounts, key=len, reverse=True):
                if path == mount or path.startswith(mount + "/"):
                    return str(local_mounts[mount]) + path[len(mount) :]
            return path

        args = [local(substitute(a, resolve)) for a in template.args]
        outputs = {o.name: Path(self._host_path(o.path, local_mounts)) for o in template.outputs}
        env = self._environment(template, resolve, local, node)
        container = None
        if self.in_containers:
            container = self._container(template, args, local_mounts, outputs)
            # a container's emptyDir is a fresh tmpfs; only the folders of its outputs are emptied per attempt
            scratch = sorted({path.parent for path in outputs.values()})
        if scope.status is not None:  # the exit handler: the nodes' phases, as Argo's UI shows them (local extra)
            nodes_file = node_dir / "runner" / "nodes.json"
            nodes_file.parent.mkdir(parents=True, exist_ok=True)
            nodes_file.write_text(json.dumps(list(scope.nodes)))
            env["TRIBUTARY_WORKFLOW_NODES"] = f"{NODES_MOUNT}/nodes.json" if self.in_containers else str(nodes_file)
            if container is not None:
                mount = Mount(nodes_file.parent, NODES_MOUNT, read_only=True)
                container = replace(container, mounts=(*container.mounts, mount))
        r = template.retry
        retry = (
            Retry()
            if r is None
            else Retry(
                limit=r.limit,
                condition=retry_condition(r.expression),
                duration_s=r.duration_s,
                factor=r.factor,
                max_duration_s=r.cap_s,
                budget_s=r.max_duration_s,
            )
        )
        return Task(
            node,
            [self.python, "-m", template.module, *args],
            env=env,
            outputs=outputs,
            output_defaults={o.name: o.default for o in template.outputs if o.default is not None},
            retry=retry,
            timeout_s=template.deadline_s,
            show_output=show_output,
            inherit_env=False,
            scratch=scratch,
            container=container,
        )

    @staticmethod
    def _host_path(path: str, local_mounts: Mapping[str, Path]) -> str:
        """Where the file the template writes at ``path`` (under one of its mounts) is on this machine."""
        for mount in sorted(local_mounts, key=len, reverse=True):
            if path.startswith(mount + "/"):
                return str(local_mounts[mount]) + path[len(mount) :]
        return path

    def _container(
        self,
        template: ContainerTemplate,
        args: list[str],
        local_mounts: Mapping[str, Path],
        outputs: Mapping[str, Path],
    ) -> ContainerRun:
        """The container of ``template``: pod and container security merged (the container's fields win)."""
        if not template.image:
            raise TaskSetupError(f"template {template.name} names no image; the container launcher needs one")
        pod, own = self.spec.security, template.security
        mounts = [
            Mount(local_mounts[path], path, read_only=True)
            for path, volume in template.mounts.items()
            if volume.config_map is not None and path in local_mounts
        ]
        # Output parameters are files in an emptyDir: their folders come from here, on top of the tmpfs.
        for name, host in outputs.items():
            inner = next(o.path for o in template.outputs if o.name == name)
            folder = Mount(host.parent, inner.rsplit("/", 1)[0], scratch=True)
            if folder not in mounts:
                mounts.append(folder)
        return ContainerRun(
            image=template.image,
            command=template.command,
            args=tuple(args),
            mounts=tuple(mounts),
            tmpfs=tuple((p, v.size_limit) for p, v in template.mounts.items() if v.config_map is None),
            user=own.run_as_user if own.run_as_user is not None else pod.run_as_user,
            group=own.run_as_group if own.run_as_group is not None else pod.run_as_group,
            fs_group=pod.fs_group,
            run_as_non_root=own.run_as_non_root or pod.run_as_non_root,
            read_only_root=own.read_only_root_filesystem,
            drop_capabilities=own.drop_capabilities,
            no_new_privileges=not own.allow_privilege_escalation,
            seccomp_unconfined=(own.seccomp_profile or pod.seccomp_profile) == "Unconfined",
            memory_limit=template.limits.memory,
            cpu_limit=template.limits.cpu,
        )

    def _environment(
        self, template: ContainerTemplate, resolve: Callable[[str], str], local: Callable[[str], str], node: str
    ) -> dict[str, str]:
        env = dict(self.resources.base_env)
        for name, optional in template.env_from:  # envFrom first; env entries override, as in Kubernetes
            config_map = self.resources.config_maps.get(name)
            if config_map is None and not optional:
                raise TaskSetupError(f"{node}: ConfigMap {name!r} (envFrom) is not provided by the local run")
            env.update(config_map.data if config_map else {})
        for var in template.env:
            if var.value is not None:
                env[var.name] = local(substitute(var.value, resolve))
            elif var.secret is not None:
                value = self.resources.secrets(var.secret, var.key or "")
                if value is not None:
                    env[var.name] = value
                elif not var.optional and var.secret not in self.resources.not_needed:
                    raise TaskSetupError(
                        f"{node}: Secret {var.secret} key {var.key} is required (env {var.name}); "
                        f"export {var.key} before `tributary run`"
                    )
            elif var.config_map is not None:
                config_map = self.resources.config_maps.get(var.config_map)
                value = config_map.data.get(var.key or "") if config_map else None
                if value is not None:
                    env[var.name] = value
                elif not var.optional:
                    raise TaskSetupError(f"{node}: ConfigMap {var.config_map} key {var.key} is not provided locally")
        return env

    def _mount(self, template: ContainerTemplate, node_dir: Path) -> tuple[dict[str, Path], list[Path]]:
        """Local folders for the template's mounts; returns them and the emptyDir ones (emptied per attempt)."""
        folders: dict[str, Path] = {}
        scratch: list[Path] = []
        for mount, volume in template.mounts.items():
            folder = node_dir / "mounts" / mount.strip("/")
            folders[mount] = folder
            if volume.config_map is None:
                scratch.append(folder)
                continue
            config_map = self.resources.config_maps.get(volume.config_map)
            if config_map is None:
                if volume.optional:
                    continue
                raise TaskSetupError(f"ConfigMap {volume.config_map!r} (volume {volume.name}) is not provided locally")
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir(parents=True)
            items = volume.items or tuple((key, key) for key in config_map.files)
            for key, rel in items:
                if key not in config_map.files:
                    raise TaskSetupError(f"ConfigMap {volume.config_map!r} has no file {key!r} locally")
                target = folder / rel
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(config_map.files[key], target)
        return folders, scratch

    # -- variables ---------------------------------------------------------------------------------------------

    def _dag_resolver(self, outputs: Mapping[str, Mapping[str, str]]) -> Callable[[str], str]:
        def resolve(name: str) -> str:
            match = _TASK_OUTPUT.match(name)
            if match is None:
                return self._workflow_variable(name)
            task, output = match.groups()
            value = outputs.get(task, {}).get(output)
            if value is not None:
                return value
            # A Skipped or Omitted producer: Argo substitutes the output's declared default, else fails the node.
            producer = next(t for t in self.spec.tasks if t.name == task)
            default = next(
                (o.default for o in self.spec.templates[producer.template].outputs if o.name == output), None
            )
            if default is None:
                raise TaskSetupError(f"{{{{{name}}}}} is absent: {task} did not run and declares no default")
            return default

        return resolve

    def _template_resolver(self, inputs: Mapping[str, str | None], scope: Scope, node: str) -> Callable[[str], str]:
        def resolve(name: str) -> str:
            if name.startswith("inputs.parameters."):
                value = inputs.get(name.removeprefix("inputs.parameters."))
                if value is None:
                    raise TaskSetupError(f"{node}: {{{{{name}}}}} has no value")
                return value
            if name == "workflow.status" and scope.status is not None:
                return scope.status
            if name == "workflow.failures" and scope.status is not None:
                return json.dumps([self._failure(f) for f in scope.failures])
            return self._workflow_variable(name)

        return resolve

    def _workflow_variable(self, name: str) -> str:
        if name == "workflow.name":
            return self.run_id
        if name.startswith("workflow.parameters."):
            value = self.parameters.get(name.removeprefix("workflow.parameters."))
            if value is not None:
                return value
        raise TaskSetupError(f"{{{{{name}}}}} cannot be resolved")

    def _failure(self, failure: Mapping[str, object]) -> dict[str, object]:
        """Argo's ``{{workflow.failures}}`` entry: add the template and the pod name to the runner's fields."""
        name = str(failure["displayName"])
        template = next((t.template for t in self.spec.tasks if t.name == name), None)
        return {**failure, "templateName": template, "podName": f"{self.run_id}-{name}"}


def _parameters(spec: WorkflowSpec, overrides: Mapping[str, str]) -> dict[str, str]:
    unknown = set(overrides) - set(spec.parameters)
    if unknown:
        raise UnsupportedSpec(
            f"unknown workflow parameters {sorted(unknown)}; the spec declares {sorted(spec.parameters)}"
        )
    values = {}
    for name, param in spec.parameters.items():
        value = overrides.get(name, param.value)
        if value is None:
            raise UnsupportedSpec(f"workflow parameter {name!r} has no value; pass one")
        if param.enum and value not in param.enum:
            raise UnsupportedSpec(f"workflow parameter {name}={value!r} is not one of {list(param.enum)}")
        values[name] = value
    return values
