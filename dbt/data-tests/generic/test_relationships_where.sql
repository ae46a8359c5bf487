{% test relationships_where(model, column_name, to, field, to_condition) %}

{#- dbt's relationships test, with a filter on the parent side too. The
    child side is filtered with the usual `config: where`. Null children
    pass, as in dbt's test. -#}

with

children as (

    select {{ column_name }} as child_key
    from {{ model }}
    where {{ column_name }} is not null

),

parents as (

    select {{ field }} as parent_key
    from {{ to }}
    where {{ to_condition }}

)

select children.child_key
from children
left join parents
    on children.child_key = parents.parent_key
where parents.parent_key is null

{% endtest %}
