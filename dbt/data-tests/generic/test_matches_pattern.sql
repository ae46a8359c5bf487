{% test matches_pattern(model, column_name, pattern) %}

{#- Fails for each non-null value of the column that does not fully match
    the regular expression `pattern` (anchor it yourself: ^…$). For codes
    whose set is open-ended (any World Bank indicator the configuration
    asks for) but whose shape is not. -#}

select {{ column_name }}
from {{ model }}
where {{ column_name }} is not null
  and not {{ regexp_matches(column_name, pattern) }}

{% endtest %}
