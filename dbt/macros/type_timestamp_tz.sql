{% macro type_timestamp_tz() -%}
    {#-
        The timestamp-with-time-zone type of the target: microsecond precision
        on Trino, which Iceberg requires (Trino's bare `timestamp with time
        zone` means milliseconds); plain on DuckDB, which takes no precision.
        From the timestamp_tz_type var, which model contracts read too.
    -#}
    {%- set types = var('timestamp_tz_type') -%}
    {%- if target.type not in types -%}
        {{ exceptions.raise_compiler_error(
            "no timestamp_tz_type for target type '" ~ target.type ~ "'. Fix: add it to the "
            ~ "timestamp_tz_type var in dbt_project.yml") }}
    {%- endif -%}
    {{- return(types[target.type]) -}}
{%- endmacro %}
