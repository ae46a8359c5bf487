{% macro year_over_year_columns(column, current_relation, previous_relation) -%}
    {#- Emits <column>, <column>_prev_year, <column>_yoy_change and
        <column>_yoy_pct from a current-year and a previous-year relation.
        Percent change is relative to the previous value and undefined
        (null) when that value is missing or zero. Multiplying before
        dividing keeps round inputs exact (200 -> 250 gives exactly 25.0). -#}
    {%- set current = current_relation ~ '.' ~ column -%}
    {%- set previous = previous_relation ~ '.' ~ column -%}
    {{ current }},
        {{ previous }} as {{ column }}_prev_year,
        {{ current }} - {{ previous }} as {{ column }}_yoy_change,
        100 * ({{ current }} - {{ previous }})
        / nullif({{ previous }}, 0) as {{ column }}_yoy_pct
{%- endmacro %}
