"""The pipeline as Argo runs it: the WorkflowTemplate and CronWorkflow built with Hera, rendered, submitted, imaged.

Only this package imports Hera. The local runner (:mod:`workflows.local`) executes what it renders and never the
other way round; names the stages share with the cluster come from :mod:`steps.names`.
"""
