{% macro trino__current_timestamp() -%}
    {#- Overrides dbt-trino's macro of the same name. Snapshots stamp
        dbt_valid_from/dbt_valid_to with current_timestamp, which Trino
        returns with millisecond precision; Iceberg only stores microsecond
        timestamps, so snapshot merges would fail on a type mismatch. -#}
    current_timestamp(6)
{%- endmacro %}
