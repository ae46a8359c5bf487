{% macro location_id(location_level, code_column) -%}
    {#- One id space for every administrative level: codes repeat across
        levels (province 1, district 1 and ward 1 all exist). -#}
    '{{ location_level }}-' || cast({{ code_column }} as varchar)
{%- endmacro %}
