"""The local runner: a rendered WorkflowTemplate executed on this machine with Argo's semantics (``tributary run``).

It parses the spec (:mod:`~workflows.local.spec`), runs the DAG (:mod:`~workflows.local.runner`) and starts each
task through a launcher (:mod:`~workflows.local.launch`: a fresh process, a warm fork, or the stage's container),
holding the lake's lock for the run. Nothing here imports Hera.
"""
