"""The parameters that tell a run which period of its schedule it is: declared by the template, set by the cron.

The WorkflowTemplate declares ``schedule``, ``timezone`` and ``scheduled-at`` with empty defaults, so a run
submitted by hand is a manual run (``max_age_days`` decides). The CronWorkflow sets them: its own expressions and
zone (the environment's ``schedule`` settings, the one definition) and Argo's scheduled time. The freshness task
passes them to ``python -m steps.freshness --schedule … --timezone … --scheduled-at …``.

How Argo gives a run its scheduled time (read in argoproj/argo-workflows at f016ad8, 2026-08-21):

- The cron controller creates each Workflow with the annotation ``workflows.argoproj.io/scheduled-time`` holding
  the fire time in RFC 3339 (``workflow/common/convert.go``, ``ConvertCronWorkflowToWorkflowWithProperties``), and
  the workflow controller exposes it as the global variable ``{{workflow.scheduledTime}}``
  (``workflow/controller/operator.go``, ``setGlobalParameters``). With several schedules it is the latest fire time
  of any (``workflow/cron/cron_facade.go``); ``argo submit --from cronwf/…`` stamps the submission time instead,
  which ``steps.freshness.trigger`` maps to the period it falls in.
- It resolves in the CronWorkflow's ``workflowSpec.arguments`` also with ``workflowTemplateRef``: the workflow
  parameter keeps the literal ``{{workflow.scheduledTime}}``, a DAG task argument ``{{workflow.parameters.x}}``
  copies it into the template's input, and ``common.SubstituteParams`` replaces globals inside input values
  before it substitutes the inputs (``workflow/common/util.go``). Argo's own test
  ``TestEvaluateWhenUnresolvedOutside`` (``workflow/cron/operator_test.go``, fix #13680, v3.6) covers a cron
  whose arguments hold ``{{workflow.scheduledTime}}``.
- Without the annotation (any Workflow not created by the cron) the variable is not set, validation lets it pass
  (``workflow/validate/validate.go``: "Allow runtime resolution for scheduledTime") and the literal text stays
  in the value (``docs/variable-flow/variables.md``). That is why the template does not read it itself: a manual
  run would get ``{{workflow.scheduledTime}}`` as its time. With the empty defaults here it gets nothing, and the
  freshness stage refuses a leftover literal in one line rather than guessing.
"""

from __future__ import annotations

from hera.workflows import Parameter

from steps.names import SCHEDULE_PARAMETER, SCHEDULED_AT_PARAMETER, TIMEZONE_PARAMETER
from steps.schedule import SEPARATOR
from workflows.argo.settings import Schedule

SCHEDULE, TIMEZONE, SCHEDULED_AT = SCHEDULE_PARAMETER, TIMEZONE_PARAMETER, SCHEDULED_AT_PARAMETER
PARAMETERS = (SCHEDULE, TIMEZONE, SCHEDULED_AT)
SCHEDULED_TIME = "{{workflow.scheduledTime}}"  # set by Argo on Workflows its cron controller creates


def template_parameters() -> list[Parameter]:
    """The WorkflowTemplate's parameters, empty by default: a run submitted by hand is manual."""
    return [
        Parameter(
            name=SCHEDULE,
            value="",
            description="cron expressions (';'-separated) this run is the scheduled run of; empty: a manual run, "
            "judged by max_age_days (the CronWorkflow sets it)",
        ),
        Parameter(name=TIMEZONE, value="", description="IANA zone of the schedule; empty: UTC"),
        Parameter(
            name=SCHEDULED_AT,
            value="",
            description="ISO 8601 fire time the run belongs to; empty with a schedule: its latest fire time",
        ),
    ]


def cron_arguments(schedule: Schedule) -> list[Parameter]:
    """The CronWorkflow's arguments: its own schedule, zone and Argo's scheduled time of each run."""
    return [
        Parameter(name=SCHEDULE, value=SEPARATOR.join(schedule.schedules)),
        Parameter(name=TIMEZONE, value=schedule.timezone),
        Parameter(name=SCHEDULED_AT, value=SCHEDULED_TIME),
    ]


def task_arguments() -> dict[str, str]:
    """The freshness task's arguments: the workflow's parameters of the same names."""
    return {name: f"{{{{workflow.parameters.{name}}}}}" for name in PARAMETERS}


def stage_args() -> list[str]:
    """The freshness stage's options, from the template's inputs of the same names."""
    return [arg for name in PARAMETERS for arg in (f"--{name}", f"{{{{inputs.parameters.{name}}}}}")]
