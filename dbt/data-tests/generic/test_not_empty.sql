{% test not_empty(model, unless_absent=none) %}

{#- Fails when the (optionally `where`-filtered) model has no rows. Guards
    steps whose empty input would be destructive, e.g. a snapshot with
    hard_deletes invalidate would close every unit.
    unless_absent names the pipeline source the model is built from: while
    that source has no committed bronze delivery (never ingested, left out
    of a run with --sources, or its first batch held back by the bronze
    gate) the model is empty by right and nothing downstream holds its
    units yet, so the test passes instead of failing the whole layer. -#}
{%- set absent = execute and unless_absent is not none
    and not source_delivered(unless_absent) -%}

select row_count
from (select count(*) as row_count from {{ model }}) as counted
where row_count = 0
{%- if absent %}
    and 1 = 0
{%- endif %}

{% endtest %}
