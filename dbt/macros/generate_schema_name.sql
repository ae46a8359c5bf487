{% macro generate_schema_name(custom_schema_name, node) -%}
    {#-
        dbt's default prefixes a custom schema with the target schema
        (silver_gold). Here a custom schema is a layer name and every
        environment has its own warehouse (its own DuckDB file or Trino
        catalog), so the layer is used as-is: models land in exactly
        `silver` or `gold`. Nodes without a custom schema (nothing in this
        project, but e.g. stored test failures) fall back to the target's.
    -#}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
