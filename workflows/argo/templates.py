"""Container templates, one per stage: image, ``python -m steps.<stage>`` with explicit args, env, limits, retries.

Every template gets the same hardening: the ``tributary-config`` ConfigMap via ``envFrom`` and the pipeline
configuration mounted at :data:`CONFIG_MOUNT`; Secrets via ``secretKeyRef`` only where the stage needs them;
requests and limits; a retry strategy that retries exit code 75 (transient) and, once, a pod-level failure
(eviction, node loss, OOM kill), never exit code 2 (bad input); a deadline per attempt; a non-root, read-only
container whose only writable path is an ``emptyDir`` at ``/tmp``; and a Prometheus duration gauge.
"""

from __future__ import annotations

from collections.abc import Sequence

from hera.workflows import (
    Artifact,
    ConfigMapEnvFrom,
    ConfigMapVolume,
    Container,
    EmptyDirVolume,
    Env,
    Gauge,
    Label,
    Parameter,
    Resources,
    RetryStrategy,
    SecretEnv,
)
from hera.workflows import models as m

from steps.names import (
    BACKFILL_RANGE_OUTPUT,
    CONFIG_KEY,
    CONFIG_MAP,
    HELD_BACK_OUTPUT,
    HELD_BACK_TASK,
    LAKE_SECRET,
    LINEAGE_KEYS,
    LINEAGE_SECRET,
    NOTIFY_SECRET,
    REBUILD_OUTPUT,
    SOURCE_SECRET,
    TRINO_SECRET,
    WEBHOOK_KEY,
)
from steps.summary.metrics import GAUGES, MISSING
from workflows.argo import artifacts, scheduling
from workflows.argo.images import image
from workflows.argo.settings import Environment, duration_seconds

RUN_ID = "{{workflow.name}}"  # the run id of every stage is the Argo workflow name
CONFIG_MOUNT = "/etc/tributary"  # TRIBUTARY_CONFIG in the ConfigMap points at CONFIG_MOUNT/pipeline.yaml
OUTPUTS_DIR = "/tmp/outputs"  # noqa: S108 - a path in the pod's emptyDir; Argo reads outputs with valueFrom.path
# Argo 3.5+: with an expression and retryPolicy Always, a retry happens only when the expression holds. Exit code
# 75 is a stage's "transient, retry later"; -1 is Argo's exit code of a pod that never reported one (evicted,
# deleted, its node lost) and "OOMKilled" the message of an out-of-memory kill: those are retried once (retries
# is the number of retries so far), as a second one in a row is no longer bad luck.
RETRY_EXPRESSION = (
    "asInt(lastRetry.exitCode) == 75 || (asInt(retries) < 1 && "
    '(asInt(lastRetry.exitCode) == -1 || lastRetry.message matches "OOMKilled"))'
)


def retry_budget_seconds(env: Environment, deadline_seconds: int) -> int:
    """Argo's ``backoff.maxDuration`` that still gives every retry its full deadline.

    Argo 4 stops retrying once the backoff would end past the first attempt's start plus ``maxDuration``, and it
    also sets every retry pod's deadline to that moment. So the budget is every attempt's deadline plus every
    wait: a stage failing late in its first attempt still gets all its retries, each with its own deadline.
    """
    retry = env.retry
    waits = sum(
        min(duration_seconds(retry.backoff_duration) * retry.backoff_factor**n, duration_seconds(retry.backoff_cap))
        for n in range(retry.limit)
    )
    return int((retry.limit + 1) * deadline_seconds + waits)


def lake_credentials() -> list[Env | SecretEnv]:
    """S3 keys of the lake, required: a pod without them fails at start with the Secret's name."""
    return [
        SecretEnv(name=key, secret_name=LAKE_SECRET, secret_key=key)
        for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")
    ]


def trino_password() -> list[Env | SecretEnv]:
    """The warehouse password; optional because the Trino of a dev cluster may run without authentication."""
    key = "DBT_TRINO_PASSWORD"
    return [SecretEnv(name=key, secret_name=TRINO_SECRET, secret_key=key, optional=True)]


def lineage_receiver() -> list[Env | SecretEnv]:
    """Where every task sends its OpenLineage events, optional: without the Secret they are only in the lake."""
    return [SecretEnv(name=key, secret_name=LINEAGE_SECRET, secret_key=key, optional=True) for key in LINEAGE_KEYS]


def stage_template(
    env: Environment,
    *,
    stage: str,
    name: str,
    args: Sequence[str],
    metric_task: str,
    inputs: Sequence[str] = (),
    outputs: Sequence[Parameter | Artifact] = (),
    secrets: Sequence[Env | SecretEnv] = (),
    metrics: Sequence[Gauge] = (),
) -> Container:
    """A container template running ``python -m steps.<stage> <args>`` with the environment's limits.

    Args:
        env: Environment settings (image registry/tag, resources, retries).
        stage: Stage module and image name (``verify`` … ``summary``).
        name: Template name.
        args: Explicit arguments after ``python -m steps.<stage>``.
        metric_task: Value of the ``task`` label of the duration gauge (may use ``{{inputs.parameters.x}}``).
        inputs: Input parameter names.
        outputs: Output parameters (read from files under :data:`OUTPUTS_DIR`) and artifacts.
        secrets: Environment variables from Secrets, and literal ones.
        metrics: Extra Prometheus metrics of this template.
    """
    res = env.stages[stage]
    retry = env.retry
    labels = [
        Label(key="stage", value=stage),
        Label(key="task", value=metric_task),
        Label(key="status", value="{{status}}"),
    ]
    duration = Gauge(
        name="tributary_stage_duration_seconds",
        help="Wall time of a pipeline task in seconds, retries included, by stage, task and final phase",
        labels=labels,
        realtime=False,
        value="{{duration}}",
    )
    return Container(
        name=name,
        image=image(stage, env.images),
        command=["python", "-m", f"steps.{stage}"],
        args=list(args),
        inputs=[Parameter(name=n) for n in inputs] or None,
        outputs=list(outputs) or None,
        env_from=[ConfigMapEnvFrom(name=CONFIG_MAP)],
        env=[*secrets, *lineage_receiver()],
        volumes=[
            EmptyDirVolume(name="tmp", mount_path="/tmp"),  # noqa: S108 - the only writable path of the pod
            ConfigMapVolume(
                name=CONFIG_MAP,
                mount_path=CONFIG_MOUNT,
                read_only=True,
                items=[m.KeyToPath(key=CONFIG_KEY, path=CONFIG_KEY)],
            ),
        ],
        resources=Resources(
            cpu_request=res.cpu_request,
            memory_request=res.memory_request,
            cpu_limit=res.cpu_limit,
            memory_limit=res.memory_limit,
        ),
        retry_strategy=RetryStrategy(
            limit=retry.limit,
            retry_policy="Always",
            expression=RETRY_EXPRESSION,
            backoff=m.Backoff(
                duration=retry.backoff_duration,
                factor=retry.backoff_factor,
                cap=retry.backoff_cap,
                max_duration=f"{retry_budget_seconds(env, res.deadline_seconds)}s",
            ),
        ),
        active_deadline_seconds=res.deadline_seconds,
        security_context=m.SecurityContext(
            run_as_non_root=True,
            allow_privilege_escalation=False,
            read_only_root_filesystem=True,
            capabilities=m.Capabilities(drop=["ALL"]),
        ),
        metrics=[duration, *metrics],
    )


def source_credentials(variables: Sequence[str]) -> list[Env | SecretEnv]:
    """The sources' API keys, tokens and passwords (named by the pipeline config's ``*_env`` keys), one Secret."""
    return [SecretEnv(name=v, secret_name=SOURCE_SECRET, secret_key=v, optional=True) for v in variables]


def verify(env: Environment, source_secrets: Sequence[str] = ()) -> Container:
    """Checks the sources answer, the lake is writable and the warehouse accepts a connection."""
    return stage_template(
        env,
        stage="verify",
        name="verify",
        metric_task="verify",
        inputs=["sources"],
        args=["--run-id", RUN_ID, "--sources", "{{inputs.parameters.sources}}"],
        secrets=[*lake_credentials(), *trino_password(), *source_credentials(source_secrets)],
    )


def freshness(env: Environment, sources: Sequence[str]) -> Container:
    """Decides per source whether to ingest; one ``true``/``false`` output parameter per source.

    A scheduled run's schedule and fire time come in as inputs (workflows.argo.scheduling); empty for a manual run.
    Two run-wide outputs go with the decisions: the backfill's ``START:END`` for the ingest (empty in a regular run)
    and whether dbt rebuilds the layers (``true`` when forced or backfilling).
    """
    decisions = [Parameter(name=s, value_from=m.ValueFrom(path=f"{OUTPUTS_DIR}/{s}", default="false")) for s in sources]
    run_wide = [
        Parameter(name=BACKFILL_RANGE_OUTPUT, value_from=m.ValueFrom(path=f"{OUTPUTS_DIR}/{BACKFILL_RANGE_OUTPUT}")),
        Parameter(name=REBUILD_OUTPUT, value_from=m.ValueFrom(path=f"{OUTPUTS_DIR}/{REBUILD_OUTPUT}")),
    ]
    return stage_template(
        env,
        stage="freshness",
        name="freshness",
        metric_task="freshness",
        inputs=["sources", "force", "backfill", *scheduling.PARAMETERS],
        args=[
            "--run-id",
            RUN_ID,
            "--sources",
            "{{inputs.parameters.sources}}",
            "--force",
            "{{inputs.parameters.force}}",
            "--backfill",
            "{{inputs.parameters.backfill}}",
            "--outputs",
            OUTPUTS_DIR,
            *scheduling.stage_args(),
        ],
        outputs=[*decisions, *run_wide],
        secrets=lake_credentials(),
    )


def ingest(env: Environment, source_secrets: Sequence[str] = ()) -> Container:
    """Ingests one source (raw → bronze → manifest → state).

    Its ``task`` input is the DAG task's name (``ingest-vn-provinces`` for source ``vn_provinces``): Argo cannot
    derive it inside the template, and the duration gauge labels tasks by the names the Argo UI shows. Its
    ``backfill`` input is the range freshness decided (empty: a regular ingest).
    """
    args = [
        "--source",
        "{{inputs.parameters.source}}",
        "--run-id",
        RUN_ID,
        "--backfill",
        "{{inputs.parameters.backfill}}",
        "--outputs",
        OUTPUTS_DIR,
    ]
    outputs = [Parameter(name="rows", value_from=m.ValueFrom(path=f"{OUTPUTS_DIR}/rows", default="0"))]
    metrics = [
        Gauge(
            name="tributary_rows_ingested",
            help="Rows the last successful ingest of a source committed to bronze",
            labels=[Label(key="source", value="{{inputs.parameters.source}}")],
            when="{{status}} == Succeeded",
            realtime=False,
            value="{{outputs.parameters.rows}}",
        )
    ]
    return stage_template(
        env,
        stage="ingest",
        name="ingest",
        metric_task="{{inputs.parameters.task}}",
        inputs=["source", "task", "backfill"],
        args=args,
        outputs=outputs,
        metrics=metrics,
        secrets=[*lake_credentials(), *source_credentials(source_secrets)],
    )


def validate(env: Environment) -> Container:
    """Great Expectations gate of one layer (``bronze`` or ``gold``).

    Output ``held-back``: the sources the bronze gate held back, comma-separated (empty when none, and for gold).
    """
    held_back = Parameter(
        name=HELD_BACK_OUTPUT, value_from=m.ValueFrom(path=f"{OUTPUTS_DIR}/{HELD_BACK_OUTPUT}", default="")
    )
    return stage_template(
        env,
        stage="validate",
        name="validate",
        metric_task="validate-{{inputs.parameters.suite}}",
        inputs=["suite"],
        args=["--suite", "{{inputs.parameters.suite}}", "--run-id", RUN_ID, "--outputs", OUTPUTS_DIR],
        outputs=[held_back],
        secrets=[*lake_credentials(), *trino_password()],
    )


def held_back(env: Environment) -> Container:
    """Fails the run (exit 2) with one line naming the sources the bronze gate held back and why.

    It runs last in the DAG, after every other source was built and published, so the workflow ends Failed and
    its alerts fire; the validate image serves it without importing Great Expectations.
    """
    return stage_template(
        env,
        stage="validate",
        name=HELD_BACK_TASK,
        metric_task=HELD_BACK_TASK,
        inputs=["sources"],
        args=["--held-back", "{{inputs.parameters.sources}}", "--run-id", RUN_ID],
        secrets=lake_credentials(),
    )


def dbt(env: Environment) -> Container:
    """``dbt build`` of one warehouse layer (``silver`` or ``gold``)."""
    return stage_template(
        env,
        stage="dbt",
        name="dbt",
        metric_task="dbt-{{inputs.parameters.layer}}",
        inputs=["layer", "force"],
        args=["--layer", "{{inputs.parameters.layer}}", "--run-id", RUN_ID, "--force", "{{inputs.parameters.force}}"],
        secrets=[*lake_credentials(), *trino_password()],
    )


def on_exit(env: Environment, sources: Sequence[str] = ()) -> Container:
    """The exit handler: always runs last, writes the run's report and notifies the webhook when one is configured.

    It runs the summary stage with the workflow's final status and failed nodes (Argo exit-handler variables); it
    is the report's only writer, so a run that failed early gets its report the same way as one that succeeded.
    It also exports each source's freshness as Prometheus gauges (:func:`freshness_gauges`), and publishes the HTML
    report and the gates' Data Docs as output artifacts, for the Argo UI (:mod:`workflows.argo.artifacts`).
    """
    outputs, metrics = freshness_gauges(sources)
    return stage_template(
        env,
        stage="summary",
        name="on-exit",
        metric_task="on-exit",
        args=["--run-id", RUN_ID, "--artifacts", artifacts.REPORT_DIR, "--outputs", OUTPUTS_DIR],
        outputs=[*outputs, *artifacts.report_artifacts()],
        metrics=metrics,
        secrets=[
            *lake_credentials(),
            SecretEnv(name=WEBHOOK_KEY, secret_name=NOTIFY_SECRET, secret_key=WEBHOOK_KEY, optional=True),
            Env(name="TRIBUTARY_WORKFLOW_STATUS", value="{{workflow.status}}"),
            Env(name="TRIBUTARY_WORKFLOW_FAILURES", value="{{workflow.failures}}"),
        ],
    )


def freshness_gauges(sources: Sequence[str]) -> tuple[list[Parameter], list[Gauge]]:
    """Per source, the exit handler's output parameters and the gauges that read them (steps.summary.metrics).

    Argo evaluates a template's metrics when its node completes, with the node's outputs in scope, the exit
    handler's included; the controller keeps a gauge's last value until it is set again (or its ``metricsTTL``, 0 =
    never, expires), so a timestamp gauge answers "how old is this source" between monthly runs. A value the stage
    did not write defaults to -1, which the gauge's ``when`` skips: a run that could not read the state keeps the
    previous value instead of reporting "never ingested". Prometheus sees the names prefixed ``argo_workflows_``.
    """
    outputs, gauges = [], []
    for source in sources:
        for gauge in GAUGES:
            name = gauge.output_name(source)
            value = f"{{{{outputs.parameters.{name}}}}}"
            outputs.append(Parameter(name=name, value_from=m.ValueFrom(path=f"{OUTPUTS_DIR}/{name}", default=MISSING)))
            gauges.append(
                Gauge(
                    name=gauge.name,
                    help=gauge.help,
                    labels=[Label(key="source", value=source)],
                    when=f"{value} >= 0",
                    realtime=False,
                    value=value,
                )
            )
    return outputs, gauges
