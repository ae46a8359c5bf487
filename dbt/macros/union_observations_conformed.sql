{% macro union_observations_conformed() -%}
    {#-
        `select * from` each enabled observation source's conformed model
        (int_<source>__observations_conformed), unioned. Their enforced
        contracts give them one column set in one order, so `union all` of
        `select *` lines the columns up.
    -#}
    {%- for source_name in observation_sources() %}
    select * from {{ ref('int_' ~ source_name ~ '__observations_conformed') }}
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
{%- endmacro %}
