"""Lineage: OpenLineage run events of every task, with the datasets it read and wrote.

``datasets.py`` names datasets (pure, no OpenLineage import: sources and stages declare with it), ``events.py``
builds the events as the ``openlineage-python`` client writes them, ``emit.py`` writes them to the lake and, when
``OPENLINEAGE_URL`` is set, sends them there. :func:`steps.stage.run_stage` emits START before a stage's body
and COMPLETE or FAIL after it, with what the body declared on ``ctx.lineage``.
"""
