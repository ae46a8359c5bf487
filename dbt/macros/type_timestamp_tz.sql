{% macro type_timestamp_tz() -%}
    {{ return(adapter.dispatch('type_timestamp_tz', 'tributary')()) }}
{%- endmacro %}

{% macro default__type_timestamp_tz() -%}
    timestamp with time zone
{%- endmacro %}

{% macro trino__type_timestamp_tz() -%}
    {#- Iceberg stores only microsecond timestamps; Trino's bare
        `timestamp with time zone` means milliseconds. -#}
    timestamp(6) with time zone
{%- endmacro %}
