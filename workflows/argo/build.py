"""``tributary images``: build the base and the six stage images with podman or docker, as the dev spec names them.

The tags are the ones the rendered WorkflowTemplate of an environment uses (``tributary-<stage>:<version>`` for
dev), so ``tributary run --launcher container`` and a kind/k3d cluster run exactly what was built. The registry
bases are build arguments (``PYTHON_IMAGE``, ``UV_IMAGE``) whose defaults in the Dockerfiles stay pinned; taken
from the environment when set, else local stand-ins of the same names when the engine has them (machines without
registry access make those, see docs/images.md), else the Dockerfiles' defaults. Every stage image comes from
images/stage/Dockerfile with the build arguments and target its artifact in skaffold.yaml gives, read from there, so
``tributary images`` and ``skaffold build`` build the same images.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

import yaml

from steps.names import STAGES
from workflows.argo.engine import find_engine
from workflows.argo.images import PACKAGE, image
from workflows.argo.settings import load_environment

REPO = Path(__file__).resolve().parents[2]
SKAFFOLD = REPO / "skaffold.yaml"
STANDINS = {"PYTHON_IMAGE": "localhost/python:3.11-slim-bookworm", "UV_IMAGE": "localhost/uv:0.13.9"}


@dataclass(frozen=True)
class Built:
    """One image and its size."""

    name: str
    size: int


@dataclass(frozen=True)
class Recipe:
    """How one stage image is built: Dockerfile, context, build arguments and target ("": the last stage)."""

    dockerfile: Path
    context: Path
    args: dict[str, str]
    target: str = ""


class BuildError(RuntimeError):
    """An image did not build; the message names it and where its log is."""


def stage_recipes(skaffold: Path = SKAFFOLD) -> dict[str, Recipe]:
    """Each stage's recipe, from its artifact ``tributary-<stage>`` in ``skaffold``.

    Raises:
        BuildError: a stage has no artifact there.
    """
    artifacts: list[dict[str, Any]] = yaml.safe_load(skaffold.read_text())["build"]["artifacts"]
    recipes: dict[str, Recipe] = {}
    for artifact in artifacts:
        stage = artifact["image"].removeprefix(f"{PACKAGE}-")
        if stage in STAGES:
            docker = artifact["docker"]
            args = {key: str(value) for key, value in (docker.get("buildArgs") or {}).items()}
            context = REPO / artifact["context"]
            recipes[stage] = Recipe(context / docker["dockerfile"], context, args, docker.get("target", ""))
    missing = [stage for stage in STAGES if stage not in recipes]
    if missing:
        raise BuildError(
            f"{skaffold.name} has no artifact for {', '.join(missing)}. "
            f"Fix: add {', '.join(f'{PACKAGE}-{stage}' for stage in missing)} to build.artifacts"
        )
    return recipes


class ImageBuilder:
    """Builds images with one engine and reports their sizes."""

    def __init__(self, engine: str, *, progress: TextIO = sys.stderr, env: dict[str, str] | None = None) -> None:
        """Use ``engine`` (a path to podman or docker); ``env`` may carry PYTHON_IMAGE / UV_IMAGE."""
        self.engine = engine
        self.is_podman = Path(engine).name.startswith("podman")
        self.progress = progress
        self.env = env or {}

    def registry_bases(self) -> dict[str, str]:
        """The build arguments for the registry bases: the environment's, else local stand-ins, else none."""
        args = {k: v for k, v in self.env.items() if k in STANDINS and v}
        for name, standin in STANDINS.items():
            if name not in args and self._exists(standin):
                args[name] = standin
        return args

    def build(self, tag: str, dockerfile: Path, context: Path, args: dict[str, str], *, target: str = "") -> Built:
        """Build ``dockerfile`` in ``context`` as ``tag``: its build stage ``target``, else its last one."""
        argv = [self.engine, "build", "--tag", tag, "--file", str(dockerfile)]
        if target:
            argv += ["--target", target]
        if self.is_podman:
            # docker's BuildKit reads <Dockerfile>.dockerignore by itself; podman reads only the context's own
            # .dockerignore, so it is told. The docker format keeps HEALTHCHECK NONE, which OCI cannot express.
            ignore = dockerfile.with_name(dockerfile.name + ".dockerignore")
            argv += ["--format", "docker", *(["--ignorefile", str(ignore)] if ignore.exists() else [])]
        for key, value in sorted(args.items()):
            argv += ["--build-arg", f"{key}={value}"]
        log = REPO / ".tributary" / "build" / f"{tag.rsplit('/', 1)[-1].replace(':', '_')}.log"
        log.parent.mkdir(parents=True, exist_ok=True)
        self.progress.write(f"building {tag} ({dockerfile.relative_to(REPO)}) … ")
        self.progress.flush()
        with open(log, "wb") as out:
            code = subprocess.run([*argv, str(context)], stdout=out, stderr=subprocess.STDOUT, check=False).returncode
        if code != 0:
            self.progress.write("failed\n")
            tail = log.read_text(errors="replace").strip().splitlines()[-1:] or [""]
            raise BuildError(f"image {tag} did not build: {tail[0]} (whole log: {log})")
        built = Built(tag, self.size(tag))
        self.progress.write(f"{built.size / 1e6:.0f} MB\n")
        return built

    def size(self, tag: str) -> int:
        """The image's size in bytes, as the engine reports it."""
        out = subprocess.run(
            [self.engine, "image", "inspect", "--format", "{{.Size}}", tag], capture_output=True, check=True, text=True
        )
        return int(out.stdout.strip())

    def _exists(self, name: str) -> bool:
        probe = subprocess.run([self.engine, "image", "inspect", name], capture_output=True, check=False)
        return probe.returncode == 0


def build_images(
    env_name: str = "dev",
    *,
    stages: Sequence[str] = STAGES,
    engine: str | None = None,
    environ: dict[str, str] | None = None,
    progress: TextIO = sys.stderr,
    report: Callable[[str], object] | None = None,
) -> list[Built]:
    """Build the base and ``stages``, tagged as ``env_name``'s WorkflowTemplate names them; returns base first.

    Raises:
        EngineError: no container engine.
        BuildError: an image failed to build.
    """
    builder = ImageBuilder(find_engine(engine), progress=progress, env=environ)
    env = load_environment(env_name)
    recipes = stage_recipes()
    references = {stage: image(stage, env.images) for stage in stages}
    tag = next(iter(references.values())).rsplit(":", 1)[1]
    base_tag = f"{PACKAGE}-base:{tag}"
    args = builder.registry_bases()
    if args:
        progress.write(f"registry bases: {', '.join(f'{k}={v}' for k, v in sorted(args.items()))}\n")
    base = builder.build(base_tag, REPO / "images/base/Dockerfile", REPO / "images/base", args)
    # an unqualified name would send podman looking for the base in registries
    local_base = f"localhost/{base_tag}" if builder.is_podman else base_tag
    built = [base]
    for stage, reference in references.items():
        recipe = recipes[stage]
        stage_args = {**args, **recipe.args, "BASE": local_base}
        built.append(builder.build(reference, recipe.dockerfile, recipe.context, stage_args, target=recipe.target))
    (report or progress.write)(size_table(built))
    return built


def size_table(built: Sequence[Built]) -> str:
    """Each image's size and the bytes it adds over the base (the first entry), as a Markdown table."""
    base = built[0]
    rows = ["| image | size | added over the base |", "|---|---:|---:|"]
    rows.append(f"| {base.name} | {base.size / 1e6:.1f} MB | (base) |")
    rows += [f"| {b.name} | {b.size / 1e6:.1f} MB | {(b.size - base.size) / 1e6:.1f} MB |" for b in built[1:]]
    return "\n".join(rows) + "\n"
