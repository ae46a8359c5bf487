"""The retention policy of the pipeline configuration (``retention:``): how long each lake area keeps what.

An area keeps a run's objects while **any** of its rules keeps them: ``keep_days`` (younger than that many days)
or ``keep_runs`` (one of the newest that many runs). An area with neither rule keeps everything. Bronze keeps
everything by default, and even with rules never gives up what a rebuild of silver and gold needs unless
``allow_history_loss`` says so (:mod:`steps.prune.plan`).
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, PositiveInt


class AreaPolicy(BaseModel):
    """The rules of one area; unset rules keep nothing by themselves, no rule at all keeps everything."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    keep_days: PositiveInt | None = None
    keep_runs: PositiveInt | None = None

    def keeps_everything(self) -> bool:
        """Whether no rule is set, so nothing of the area ever goes."""
        return self.keep_days is None and self.keep_runs is None


class BronzePolicy(AreaPolicy):
    """Bronze deliveries: what the rules allow to go is still kept when a rebuild needs it, unless allowed."""

    allow_history_loss: bool = False


class RetentionPolicy(BaseModel):
    """``retention:`` in the pipeline configuration, one entry per lake area."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    raw: AreaPolicy = AreaPolicy(keep_days=90, keep_runs=3)
    bronze: BronzePolicy = BronzePolicy()
    reports: AreaPolicy = AreaPolicy(keep_days=180, keep_runs=12)
    quarantine: AreaPolicy = AreaPolicy(keep_days=90)
