{% macro bronze_source(source_name, table_name) -%}
    {#-
        The bronze relation of a source table, or an empty relation with the
        same columns when the table has no bronze files yet (a source enabled
        in the configuration but never ingested must not break the build).
        The empty relation's columns and types are the source table's
        declared columns (`data_type` in its sources YAML).
    -#}
    {%- set relation = source(source_name, table_name) -%}
    {%- if execute and not bronze_exists(source_name, table_name) -%}
        ({{ empty_bronze(source_name, table_name) }}) as empty_bronze
    {%- else -%}
        {{ relation }}
    {%- endif -%}
{%- endmacro %}


{% macro bronze_exists(source_name, table_name) -%}
    {{ return(adapter.dispatch('bronze_exists', 'tributary')(source_name, table_name)) }}
{%- endmacro %}


{% macro duckdb__bronze_exists(source_name, table_name) -%}
    {#- DuckDB reads the files: the same glob the source's external_location uses. -#}
    {%- set pattern = env_var('TRIBUTARY_LAKE').rstrip('/') ~ '/bronze/' ~ source_name ~ '/' ~ table_name
        ~ '/*/[!._]*.parquet' -%}
    {%- set found = run_query("select count(*) from glob('" ~ pattern ~ "')") -%}
    {{ return(found.columns[0].values()[0] > 0) }}
{%- endmacro %}


{% macro default__bronze_exists(source_name, table_name) -%}
    {#- Trino reads Hive external tables: the table must be registered. -#}
    {%- set relation = source(source_name, table_name) -%}
    {%- set found = adapter.get_relation(
        database=relation.database, schema=relation.schema, identifier=relation.identifier) -%}
    {{ return(found is not none) }}
{%- endmacro %}


{% macro empty_bronze(source_name, table_name) -%}
    {%- set node = graph.sources.values()
        | selectattr('source_name', 'equalto', source_name)
        | selectattr('name', 'equalto', table_name)
        | first -%}
    select
    {%- for column in node.columns.values() %}
        cast(null as {{ bronze_type(column.data_type) }}) as {{ adapter.quote(column.name) }}
        {%- if not loop.last %},{% endif %}
    {%- endfor %}
    where 1 = 0
{%- endmacro %}


{% macro bronze_type(data_type) -%}
    {#- Declared types are portable names; timestamptz is the target's own. -#}
    {%- if data_type == 'timestamptz' -%}
        {{ type_timestamp_tz() }}
    {%- else -%}
        {{ data_type }}
    {%- endif -%}
{%- endmacro %}
