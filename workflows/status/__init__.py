"""``tributary status``: where every enabled source stands, read from the lake (and, with ``--cluster``, from Argo).

- :mod:`workflows.status.facts`: what the readers find, as plain values, and the run report parsed defensively;
- :mod:`workflows.status.lake_reader`: the lake's state files, run reports and daily quota counts;
- :mod:`workflows.status.cluster_reader`: the Workflow objects of the Kubernetes API (the ``kubernetes`` client);
- :mod:`workflows.status.argo_runs`: one Workflow object as a run (trigger, phase, duration, failed nodes);
- :mod:`workflows.status.core`: the pure part: SLA states, the table's rows, the problems and the exit code;
- :mod:`workflows.status.render`: the aligned table and the JSON document;
- :mod:`workflows.status.command`: the command's arguments turned into one report and an exit code.
"""
