"""A stage container runs with exactly the securityContext of the rendered template, and writes only /tmp and the lake.

The container command is the one the container launcher builds from the rendered dev WorkflowTemplate (nothing
is restated here): user 10001 with group 10001 and the fsGroup, a read-only root filesystem, the ``/tmp``
emptyDir as a tmpfs, every capability dropped, no privilege escalation, the template's memory and CPU limits.
"""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
from pathlib import Path

import pytest

from tests.containers.conftest import Images
from workflows.local.container import ContainerLauncher
from workflows.local.execute import LocalWorkflow
from workflows.local.run import LocalRun, local_resources, rendered_spec
from workflows.local.spec import parse_workflow
from workflows.local.task import ContainerRun, Mount, Scope, Task

PROBE = """
import json, os
report = {"uid": os.getuid(), "gid": os.getgid(), "groups": sorted(os.getgroups())}
status = dict(line.split(":", 1) for line in open("/proc/self/status") if ":" in line)
report["CapEff"] = status["CapEff"].strip()
report["NoNewPrivs"] = status["NoNewPrivs"].strip()
report["writable"] = {}
for folder in ["/", "/app", "/app/steps", "/etc", "/usr/local/lib", "/var/tmp", "/run", "/tmp", os.environ["LAKE"]]:
    try:
        with open(os.path.join(folder, ".probe"), "w") as handle:
            handle.write("x")
        os.remove(os.path.join(folder, ".probe"))
        report["writable"][folder] = True
    except OSError:
        report["writable"][folder] = False
limit = "/sys/fs/cgroup/memory.max"
report["memory_limit"] = open(limit).read().strip() if os.path.exists(limit) else None
print(json.dumps(report))
"""


def _bound(tmp_path: Path, lake: Path, node: str) -> tuple[Task, ContainerLauncher]:
    """The task ``node`` of the rendered dev spec, bound for the container launcher as ``tributary run`` binds it."""
    run = LocalRun(run_id="security", lake=str(lake), sources=("worldbank", "vn_provinces"), launcher="container")
    spec = parse_workflow(rendered_spec(run, "dev"))
    from workflows.argo.engine import find_engine

    launcher = ContainerLauncher(find_engine(), run_id=run.run_id, volumes=[Mount(lake, str(lake))])
    workflow = LocalWorkflow(
        spec, run_id=run.run_id, resources=local_resources(run, {}, spec), work_dir=tmp_path / "work", launcher=launcher
    )
    dag_task = workflow.runner.tasks[node]
    assert dag_task.prepare is not None
    return dag_task.prepare(Scope(outputs={})), launcher


@pytest.fixture
def lake(tmp_path: Path) -> Path:
    folder = tmp_path / "lake"
    folder.mkdir()
    return folder


def test_the_launcher_applies_the_template_security_context(images: Images, tmp_path: Path, lake: Path) -> None:
    task, launcher = _bound(tmp_path, lake, "freshness")
    spec = task.container
    assert spec is not None and spec.image == images.reference("freshness")
    assert (spec.user, spec.group, spec.fs_group) == (10001, 10001, 10001)
    assert spec.read_only_root and spec.no_new_privileges and spec.drop_capabilities == ("ALL",)
    assert spec.tmpfs == (("/tmp", None),) and (spec.memory_limit, spec.cpu_limit) == ("256Mi", "500m")
    argv = launcher.command(spec, "probe", env_names=sorted(task.env))
    for flag in (["--read-only"], ["--cap-drop", "ALL"], ["--security-opt", "no-new-privileges"], ["--cpus", "0.5"]):
        assert any(argv[i : i + len(flag)] == flag for i in range(len(argv))), flag
    assert ["--memory", f"{256 * 2**20}b"] == argv[argv.index("--memory") : argv.index("--memory") + 2]
    assert not any("=" in a and a.split("=", 1)[0] in task.env for a in argv)  # values never on the command line

    # the same flags, running a probe instead of the stage
    probe = dataclasses.replace(spec, command=("python", "-c", PROBE), args=())
    proc = subprocess.run(
        launcher.command(probe, "tributary-security-probe", env_names=["LAKE"]),
        env={**os.environ, "LAKE": str(lake)},
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    subprocess.run([images.engine, "rm", "--force", "tributary-security-probe"], capture_output=True, check=False)
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    assert (report["uid"], report["gid"]) == (10001, 10001) and 10001 in report["groups"]
    assert report["CapEff"] == "0000000000000000" and report["NoNewPrivs"] == "1"
    assert report["writable"] == {
        "/": False,
        "/app": False,
        "/app/steps": False,
        "/etc": False,
        "/usr/local/lib": False,
        "/var/tmp": False,  # podman's --read-only alone would make /var/tmp and /run writable tmpfs
        "/run": False,
        "/tmp": True,
        str(lake): True,
    }
    if report["memory_limit"] is not None:
        assert report["memory_limit"] == str(256 * 2**20)


def test_a_stage_under_that_context_changes_nothing_in_its_image(images: Images, tmp_path: Path, lake: Path) -> None:
    # verify writes and deletes a probe object in the lake and checks the DuckDB folder; the container's own
    # filesystem must be untouched (podman/docker diff lists every path changed outside the mounts)
    task, launcher = _bound(tmp_path, lake, "freshness")
    assert task.container is not None
    name = "tributary-security-freshness"
    argv = launcher.command(task.container, name, env_names=sorted(task.env))
    for mount in task.container.mounts:
        if mount.scratch:
            mount.source.mkdir(parents=True, exist_ok=True)
            mount.source.chmod(0o777)
    proc = subprocess.run(argv, env={**os.environ, **task.env}, capture_output=True, text=True, check=False)
    try:
        assert proc.returncode == 0, proc.stderr
        diff = subprocess.run([images.engine, "diff", name], capture_output=True, text=True, check=True)
        # the engine creates mount points (and so changes their parents) before the stage starts
        targets = [m.target for m in (*task.container.mounts, *launcher.volumes)] + [p for p, _ in task.container.tmpfs]
        made = {str(Path(t).parents[i]) for t in targets for i in range(len(Path(t).parents))} | set(targets)
        changed = [line.split(None, 1)[1] for line in diff.stdout.splitlines() if line.strip()]
        assert [c for c in changed if c not in made] == [], diff.stdout
    finally:
        subprocess.run([images.engine, "rm", "--force", name], capture_output=True, check=False)
    # what it wrote: its decisions (the output parameters, mounted from the run's folder) and its record in the lake
    outputs = {p.name: p.read_text() for m in task.container.mounts if m.scratch for p in m.source.iterdir()}
    # one decision per source, and the run-wide backfill range and rebuild flag (empty and false: a regular run)
    assert outputs == {"worldbank": "true", "vn_provinces": "true", "backfill-range": "", "rebuild-layers": "false"}
    written = sorted(str(p.relative_to(lake)) for p in lake.rglob("*") if p.is_file())
    lineage = [w.rsplit("-", 2)[-2:] for w in written if w.startswith("reports/security/lineage/")]
    assert lineage == [["freshness", "START.json"], ["freshness", "COMPLETE.json"]]  # time-ordered names
    assert [w for w in written if "/lineage/" not in w] == [
        "reports/security/freshness.json",
        "reports/security/stages/freshness.json",
    ]
    assert all(p.stat().st_uid == 10001 for p in lake.rglob("*") if p.is_file()) or os.geteuid() != 0
    assert isinstance(task.container, ContainerRun)
