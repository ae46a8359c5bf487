"""The container launcher: each task of the rendered WorkflowTemplate runs as a container of its stage image.

What the pod would get, the container gets: the template's image, command and args, its environment (the
ConfigMap's keys and the Secrets' values, passed by name so no value appears on a command line), its
securityContext (user and group, read-only root filesystem, capabilities dropped, no privilege escalation, the
``fsGroup`` as a supplementary group), its memory and CPU limits, the ``emptyDir`` at ``/tmp`` as a tmpfs, the
ConfigMap files mounted read-only, and the output parameters read from a folder mounted where the template writes
them. A local lake is mounted at the same path (an S3 lake is reached through its endpoint), and containers share
the host's network, so the replay server on 127.0.0.1 answers them.

Works with podman (rootful or rootless) and docker; ``CONTAINER_ENGINE`` chooses, else whichever is installed.
"""

from __future__ import annotations

import os
import re
import signal
import stat
import subprocess
import sys
import threading
from collections.abc import Iterable, Sequence
from pathlib import Path

from workflows.local.launch import Stoppable, finished, open_log, refused, timed_out, wait_process
from workflows.local.task import ERROR, Attempt, ContainerRun, Mount, Task

EXIT_ENGINE = 125  # the engine could not start the container (podman and docker both use 125)
_QUANTITY = re.compile(r"^(\d+(?:\.\d+)?)(m|Ki|Mi|Gi|Ti|k|M|G|T)?$")
_BYTES = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "k": 10**3, "M": 10**6, "G": 10**9, "T": 10**12}


def memory_bytes(quantity: str) -> int:
    """A Kubernetes memory quantity (``512Mi``, ``1Gi``, ``1e9``) in bytes."""
    match = _QUANTITY.match(quantity)
    if match is None:
        raise ValueError(f"memory limit {quantity!r} is not a Kubernetes quantity such as 512Mi")
    number, unit = float(match.group(1)), match.group(2)
    return int(number / 1000) if unit == "m" else int(number * _BYTES.get(unit or "", 1))


def cpus(quantity: str) -> str:
    """A Kubernetes CPU quantity (``500m``, ``1``, ``1.5``) as the engine's ``--cpus`` value."""
    match = _QUANTITY.match(quantity)
    if match is None or match.group(2) not in (None, "m"):
        raise ValueError(f"cpu limit {quantity!r} is not a Kubernetes CPU quantity such as 500m or 2")
    number = float(match.group(1))
    return f"{number / 1000 if match.group(2) == 'm' else number:g}"


class ContainerLauncher(Stoppable):
    """Runs each attempt as ``<engine> run … <image> …`` and reports it as Argo reads a pod."""

    name = "container"

    def __init__(self, engine: str, *, run_id: str, volumes: Sequence[Mount] = (), network: str = "host") -> None:
        """Launch containers with ``engine`` (a path to podman or docker).

        Args:
            engine: The engine's executable.
            run_id: Names the containers (``tributary-<run id>-<task>-<attempt>``).
            volumes: Host folders every container gets besides the template's own volumes (the local lake).
            network: The containers' network; ``host`` reaches servers on this machine's loopback.
        """
        super().__init__()
        self.engine = engine
        self.run_id = run_id
        self.volumes = tuple(volumes)
        self.network = network
        self.is_podman = Path(engine).name.startswith("podman")
        self._running: set[str] = set()
        self._lock = threading.Lock()
        self._owned: set[tuple[Path, int]] = set()
        self._warned = False
        self._closing = False  # close() kills what runs: those exit codes are ours, not the kernel's
        self._cgroups: int | None = None

    # -- before a run ------------------------------------------------------------------------------------------

    def missing_images(self, images: Iterable[str]) -> list[str]:
        """The images of ``images`` that this engine does not have locally."""
        missing = []
        for image in sorted(set(images)):
            probe = subprocess.run(
                [self.engine, "image", "inspect", "--format", "{{.Id}}", image],
                capture_output=True,
                check=False,
            )
            if probe.returncode != 0:
                missing.append(image)
        return missing

    # -- Launcher ----------------------------------------------------------------------------------------------

    def launch(self, task: Task, attempt: int, timeout: float | None, log: Path | None) -> Attempt:
        """Run the attempt's container to its end; remove it afterwards."""
        spec = task.container
        if spec is None:
            raise ValueError(f"task {task.name} has no container to run (it was not bound for the container launcher)")
        if spec.run_as_non_root and (spec.user is None or spec.user == 0):
            return Attempt(
                EXIT_ENGINE,
                f"container has runAsNonRoot and would run as {'root' if spec.user == 0 else 'the image user'}; "
                "set runAsUser to a non-zero uid",
                ERROR,
            )
        name = self._name(task.name, attempt)
        argv = self.command(spec, name, env_names=sorted(task.env))
        env = {**os.environ, **task.env}  # values reach the container by name (--env NAME), never in argv
        subprocess.run([self.engine, "rm", "--force", name], capture_output=True, check=False)  # a stale one
        with open_log(log, attempt) as sink:
            with self._lock:
                self._running.add(name)
            try:
                if self.stopped:
                    return refused(self.stop_signal)
                proc = subprocess.Popen(
                    argv,
                    env=env,
                    stdout=None if task.show_output else sink,
                    stderr=subprocess.PIPE,
                    stdin=subprocess.DEVNULL,
                    start_new_session=True,  # a terminal's Ctrl-C reaches the runner, which tells the container
                )

                def deliver(signum: int) -> None:
                    sig = signal.Signals(signum).name
                    subprocess.run([self.engine, "kill", "--signal", sig, name], capture_output=True, check=False)

                stderr, code = wait_process(proc, timeout, self, deliver)
                sink.write(stderr)
                if code is None:
                    return timed_out(timeout)
                return self._outcome(name, code, stderr, spec)
            finally:
                subprocess.run([self.engine, "rm", "--force", name], capture_output=True, check=False)
                with self._lock:
                    self._running.discard(name)

    def close(self) -> None:
        """Remove containers still running (an interrupted run must not leave stages writing)."""
        with self._lock:
            self._closing = True
            names = sorted(self._running)
        for name in names:
            subprocess.run([self.engine, "rm", "--force", "--time", "5", name], capture_output=True, check=False)

    # -- the command -------------------------------------------------------------------------------------------

    def command(self, spec: ContainerRun, name: str, *, env_names: Sequence[str]) -> list[str]:
        """The ``<engine> run`` command of ``spec`` (no secret values: variables are passed by name)."""
        argv = [self.engine, "run", "--name", name, "--network", self.network, "--no-healthcheck"]
        argv += self._identity(spec)
        if spec.read_only_root:
            argv.append("--read-only")
            if self.is_podman:  # podman adds writable tmpfs on /tmp, /var/tmp and /run; a pod gets none of them
                argv.append("--read-only-tmpfs=false")
        for capability in spec.drop_capabilities:
            argv += ["--cap-drop", capability]
        if spec.no_new_privileges:
            argv += ["--security-opt", "no-new-privileges"]
        if spec.seccomp_unconfined:
            argv += ["--security-opt", "seccomp=unconfined"]
        if spec.memory_limit:
            argv += ["--memory", f"{memory_bytes(spec.memory_limit)}b"]
        if spec.cpu_limit:
            argv += ["--cpus", cpus(spec.cpu_limit)]
        for path, size in spec.tmpfs:
            options = "rw,mode=1777" + (f",size={memory_bytes(size)}" if size else "")
            argv += ["--tmpfs", f"{path}:{options}"]
        for mount in (*spec.mounts, *self.volumes):
            if mount.scratch:
                _writable_folder(mount.source)
            elif not mount.read_only:
                self._own(mount.source, spec.fs_group)
            argv += ["--volume", f"{mount.source}:{mount.target}{':ro' if mount.read_only else ''}"]
        for variable in env_names:
            argv += ["--env", variable]
        # Kubernetes' command replaces the image's entrypoint, its args the image's CMD.
        argv += ["--entrypoint", spec.command[0], spec.image, *spec.command[1:], *spec.args]
        return argv

    def _identity(self, spec: ContainerRun) -> list[str]:
        """Who the container runs as, so that it can write a local lake owned by the user running this."""
        user = [] if spec.user is None else ["--user", f"{spec.user}:{spec.group if spec.group is not None else 0}"]
        groups = [] if spec.fs_group is None else ["--group-add", str(spec.fs_group)]
        if os.geteuid() == 0:  # rootful: uid 10001 is uid 10001 on the host; the lake is shared through fsGroup
            return user + groups
        if self.is_podman and spec.user is not None:  # rootless: map the container's user onto ours
            group = spec.group if spec.group is not None else spec.user
            return ["--userns", f"keep-id:uid={spec.user},gid={group}", *user]
        if not self._warned:  # docker without root: the container must run as us to write our files
            self._warned = True
            sys.stderr.write(
                f"container launcher: running stages as uid {os.getuid()} (not {spec.user}): docker cannot map "
                "another uid onto yours for the lake folder\n"
            )
        return ["--user", f"{os.getuid()}:{os.getgid()}"]

    def _own(self, folder: Path, fs_group: int | None) -> None:
        """Make ``folder`` group-writable by ``fs_group``, as the kubelet does with a pod's volumes (rootful only)."""
        if fs_group is None or os.geteuid() != 0 or (folder, fs_group) in self._owned or not folder.is_dir():
            return
        self._owned.add((folder, fs_group))
        for root, dirs, files in os.walk(folder):
            for entry in [root, *(os.path.join(root, f) for f in files)]:
                info = os.lstat(entry)
                if stat.S_ISLNK(info.st_mode):
                    continue
                wanted = info.st_mode | stat.S_IRGRP | stat.S_IWGRP
                if stat.S_ISDIR(info.st_mode):
                    wanted |= stat.S_IXGRP | stat.S_ISGID  # new files inherit the group
                if info.st_gid != fs_group:
                    os.chown(entry, -1, fs_group)
                if stat.S_IMODE(info.st_mode) != stat.S_IMODE(wanted):
                    os.chmod(entry, stat.S_IMODE(wanted))
            dirs[:] = [d for d in dirs if not os.path.islink(os.path.join(root, d))]

    def _name(self, task: str, attempt: int) -> str:
        return re.sub(r"[^a-zA-Z0-9_.-]", "-", f"tributary-{self.run_id}-{task}-{attempt}")

    def _outcome(self, name: str, code: int, stderr: bytes, spec: ContainerRun) -> Attempt:
        if code == 137 and not (self._closing or self.killing) and self._oom_killed(name, spec):
            return Attempt(137, "OOMKilled (exit code 137)")  # what Argo reports for an out-of-memory kill
        if code in (EXIT_ENGINE, 126, 127) and b"Error:" in stderr:
            return Attempt(EXIT_ENGINE, f"container engine: {finished(code, stderr).message}", ERROR)
        return finished(code, stderr)

    def _oom_killed(self, name: str, spec: ContainerRun) -> bool:
        probe = subprocess.run(
            [self.engine, "inspect", "--format", "{{.State.OOMKilled}}", name], capture_output=True, check=False
        )
        if probe.stdout.strip() == b"true":
            return True
        # On cgroup v1 the engine never learns of an OOM kill (podman 4 reports false, seen here), so a SIGKILL we
        # did not send, under a memory limit, is taken for what it almost surely is: the kernel's OOM killer.
        return spec.memory_limit is not None and self._cgroup_version() == 1

    def _cgroup_version(self) -> int:
        if self._cgroups is None:
            template = "{{.Host.CgroupsVersion}}" if self.is_podman else "{{.CgroupVersion}}"
            probe = subprocess.run([self.engine, "info", "--format", template], capture_output=True, check=False)
            self._cgroups = 1 if probe.stdout.strip().lstrip(b"v") == b"1" else 2
        return self._cgroups


def _writable_folder(folder: Path) -> None:
    """An empty-or-not folder any uid can write (the container's output parameters land here)."""
    folder.mkdir(parents=True, exist_ok=True)
    folder.chmod(0o777)
