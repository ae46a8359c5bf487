"""The pipeline DAG as the Argo WorkflowTemplate ``tributary``.

::

    verify ─▶ freshness ─▶ ingest-<source> (one per enabled source, when its freshness decision is true)
                       ─▶ validate-bronze ─▶ dbt-silver ─▶ dbt-gold ─▶ validate-gold
                                                                     ─▶ held-back (when the gate held sources back)
    onExit: on-exit (always, last: writes the run report with the run's outcome, notifies, exports the sources'
            freshness gauges)

A run with ``backfill=SOURCE:START:END`` ingests only that source, for that range: the freshness task decides so
(and refuses a bad request with exit 2, which is never retried), hands the range to the ingest tasks and tells the
dbt tasks to rebuild, as ``force`` does.

The exit handler is the one writer of the run's report: it runs after every task whatever happened, and knows
the workflow's status and failed nodes, so a summary task in the DAG would only write the same report twice.

Dependencies use ``depends`` without a result, which Argo reads as ``Succeeded || Skipped || Daemoned``: a
source skipped as fresh does not block ``validate-bronze``, a failed ingest does (the rest is Omitted).

One source's bad batch does not block the others: the bronze gate quarantines it, *holds the source back* and
succeeds, naming it in its ``held-back`` output, so silver and gold are built from the other sources. The last
task, ``held-back``, runs only when that output is not empty and fails with the sources and the reasons, so the
workflow still ends Failed (alerts fire). A gate that fails (every source rejected, a crash) stops the DAG.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from hera.workflows import DAG, Container, Gauge, Label, Parameter, Task, WorkflowTemplate
from hera.workflows import models as m

from steps.names import BACKFILL_RANGE_OUTPUT, HELD_BACK_OUTPUT, HELD_BACK_TASK, REBUILD_OUTPUT, ingest_task
from workflows.argo import artifacts, scheduling, templates
from workflows.argo.settings import Environment

NAME = "tributary"
ENTRYPOINT = "pipeline"
EXIT_HANDLER = "on-exit"
MUTEX = "tributary"  # one run of the pipeline per namespace at a time, scheduled or submitted by hand
FORCE = "{{workflow.parameters.force}}"
BACKFILL = "{{workflow.parameters.backfill}}"
BACKFILL_RANGE = f"{{{{tasks.freshness.outputs.parameters.{BACKFILL_RANGE_OUTPUT}}}}}"  # START:END, or empty
REBUILD = f"{{{{tasks.freshness.outputs.parameters.{REBUILD_OUTPUT}}}}}"  # force or backfill: build the layers
LABELS = {"app.kubernetes.io/name": "tributary", "app.kubernetes.io/part-of": "tributary"}

_TASK_NAME = re.compile(r"^[a-zA-Z0-9][-a-zA-Z0-9]*$")  # Argo's rule for task names
_PARAM_NAME = re.compile(r"^[-a-zA-Z0-9_]+$")  # Argo's rule for parameter names


def ingest_task_name(source: str) -> str:
    """The ingest task of ``source`` (steps.names' rule, shared with the stage's own result name), checked."""
    name = ingest_task(source)
    if not _TASK_NAME.match(name) or not _PARAM_NAME.match(source) or len(name) > 128:
        raise ValueError(
            f"source name {source!r} cannot name an Argo task or parameter; "
            "rename it in the pipeline configuration to letters, digits, '_' and '-'"
        )
    return name


def build_workflow_template(
    env: Environment, sources: Sequence[str], source_secrets: Sequence[str] = ()
) -> WorkflowTemplate:
    """The WorkflowTemplate of ``env`` with one ingest task per source.

    Args:
        env: Environment settings.
        sources: Enabled sources of the pipeline configuration, in order.
        source_secrets: Environment variables the sources read their credentials from (``*_env`` config keys);
            verify and ingest get them from the Secret ``tributary-source-credentials``.

    Raises:
        ValueError: no sources, duplicates, or a source name Argo cannot use.
    """
    if not sources:
        raise ValueError("no enabled sources in the pipeline configuration; enable at least one")
    if len(set(sources)) != len(sources):
        raise ValueError(f"sources listed twice: {list(sources)}")
    reserved = sorted({BACKFILL_RANGE_OUTPUT, REBUILD_OUTPUT} & set(sources))
    if reserved:
        raise ValueError(f"source names {reserved} are the freshness task's own outputs; rename them")
    ingest_names = [ingest_task_name(s) for s in sources]
    if len(set(ingest_names)) != len(ingest_names):
        raise ValueError(f"sources {list(sources)} map to the same task names {ingest_names}; rename one")
    labels = {**LABELS, "tributary.io/environment": env.name}
    wf = env.workflow
    with WorkflowTemplate(
        name=NAME,
        namespace=env.namespace,
        labels={**labels, "app.kubernetes.io/component": "workflow-template"},
        annotations={
            "workflows.argoproj.io/title": "Tributary pipeline",
            "workflows.argoproj.io/description": (
                "verify → freshness → ingest per source → validate bronze → dbt silver → dbt gold → "
                "validate gold; the exit handler writes the run report; pass force=true to ingest and rebuild "
                "regardless of freshness, or backfill=SOURCE:START:END to re-ingest one source's range"
            ),
        },
        entrypoint=ENTRYPOINT,
        on_exit=EXIT_HANDLER,
        arguments=[
            Parameter(
                name="force",
                value="false",
                enum=["false", "true"],
                description="true: ingest every source and rebuild every layer, even when fresh",
            ),
            *scheduling.template_parameters(),
            Parameter(
                name="backfill",
                value="",
                description="SOURCE:START:END (e.g. worldbank:2000:2005, fred:2020-01-01:2020-12-31): ingest only "
                "SOURCE for that range, then rebuild silver and gold; its watermark never moves back",
            ),
        ],
        service_account_name=env.service_account,
        artifact_repository_ref=artifacts.repository_ref(),
        parallelism=wf.parallelism,
        active_deadline_seconds=wf.active_deadline_seconds,
        synchronization=m.Synchronization(mutexes=[m.Mutex(name=MUTEX)]),
        security_context=pod_security_context(wf.run_as_user),
        pod_gc=m.PodGC(strategy=wf.pod_gc_strategy, delete_delay_duration=wf.pod_gc_delete_delay),
        ttl_strategy=m.TTLStrategy(
            seconds_after_success=wf.ttl_seconds_after_success,
            seconds_after_failure=wf.ttl_seconds_after_failure,
        ),
        workflow_metadata=m.WorkflowMetadata(labels={**labels, "app.kubernetes.io/component": "workflow"}),
        pod_metadata=m.Metadata(labels={**labels, "app.kubernetes.io/component": "pipeline"}),
        metrics=_workflow_metrics(),
    ) as wt:
        verify = templates.verify(env, source_secrets)
        freshness = templates.freshness(env, sources)
        ingest = templates.ingest(env, source_secrets)
        validate = templates.validate(env)
        held_back = templates.held_back(env)
        dbt = templates.dbt(env)
        templates.on_exit(env, sources)
        csv = ",".join(sources)
        with DAG(name=ENTRYPOINT):
            t_verify = Task(name="verify", template=verify, arguments={"sources": csv})
            t_fresh = Task(
                name="freshness",
                template=freshness,
                arguments={"sources": csv, "force": FORCE, "backfill": BACKFILL, **scheduling.task_arguments()},
            )
            t_ingests = [
                Task(
                    name=task,
                    template=ingest,
                    arguments={"source": source, "task": task, "backfill": BACKFILL_RANGE},
                    when=f"{{{{tasks.freshness.outputs.parameters.{source}}}}} == true",
                )
                for source, task in zip(sources, ingest_names, strict=True)
            ]
            # Waits for every ingest; one skipped as fresh counts as done (see the module docstring).
            t_bronze = Task(
                name="validate-bronze",
                template=validate,
                arguments={"suite": "bronze"},
                depends=" && ".join(ingest_names),
            )
            t_silver = Task(name="dbt-silver", template=dbt, arguments={"layer": "silver", "force": REBUILD})
            t_gold = Task(name="dbt-gold", template=dbt, arguments={"layer": "gold", "force": REBUILD})
            t_gold_checks = Task(name="validate-gold", template=validate, arguments={"suite": "gold"})
            t_held_back = _held_back_task(held_back, t_bronze)
            t_verify >> t_fresh
            t_fresh >> t_ingests
            t_bronze >> t_silver
            t_silver >> t_gold
            t_gold >> t_gold_checks
            t_gold_checks >> t_held_back
    return wt


def pod_security_context(user: int) -> m.PodSecurityContext:
    """Every pod of our workflows: a non-root ``user`` (its group and the volumes' too), the default seccomp profile."""
    return m.PodSecurityContext(
        run_as_non_root=True,
        run_as_user=user,
        run_as_group=user,
        fs_group=user,
        seccomp_profile=m.SeccompProfile(type="RuntimeDefault"),
    )


def _held_back_task(template: Container, gate: Task) -> Task:
    """The last task: fails the run when the bronze gate held sources back (its output names them).

    The output is quoted in the condition because it may be empty or hold commas, which Argo's expression
    evaluator would otherwise read as syntax.
    """
    held = f"{{{{tasks.{gate.name}.outputs.parameters.{HELD_BACK_OUTPUT}}}}}"
    return Task(name=HELD_BACK_TASK, template=template, arguments={"sources": held}, when=f"'{held}' != ''")


def _workflow_metrics() -> list[Gauge]:
    """Success gauge (1/0, emitted when a run ends) and the run's duration."""
    success = "Whether the last run of the pipeline succeeded (1) or not (0)"
    return [
        Gauge(
            name="tributary_workflow_success",
            help=success,
            when="{{workflow.status}} == Succeeded",
            realtime=False,
            value="1",
        ),
        Gauge(
            name="tributary_workflow_success",
            help=success,
            when="{{workflow.status}} != Succeeded",
            realtime=False,
            value="0",
        ),
        Gauge(
            name="tributary_workflow_duration_seconds",
            help="Wall time of the last run of the pipeline in seconds, by final status",
            labels=[Label(key="status", value="{{workflow.status}}")],
            realtime=False,
            value="{{workflow.duration}}",
        ),
    ]
