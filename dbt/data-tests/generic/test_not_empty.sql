{% test not_empty(model) %}

{#- Fails when the (optionally `where`-filtered) model has no rows. Guards
    steps whose empty input would be destructive, e.g. a snapshot with
    hard_deletes invalidate would close every unit. -#}

select row_count
from (select count(*) as row_count from {{ model }}) as counted
where row_count = 0

{% endtest %}
