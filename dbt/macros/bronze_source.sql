{% macro bronze_source(source_name, table_name) -%}
    {#-
        How every staging model reads bronze: the source table's relation on
        this target (bronze_relation()), or an empty relation with the same
        columns when the table has no bronze files yet (a source enabled in
        the configuration but never ingested must not break the build). The
        empty relation's columns and types are the source table's declared
        columns (`data_type` in its sources YAML).
        The calling model is enabled exactly when its source is (see
        source_enabled()): a staging model needs no enablement of its own.
    -#}
    {%- do config(enabled=source_enabled(source_name)) -%}
    {%- if model.resource_type == 'unit_test' -%}
        {#- A unit test's given rows stand in for bronze. -#}
        {{ source(source_name, table_name) }}
    {%- elif execute and not bronze_exists(source_name, table_name) -%}
        ({{ empty_bronze(source_name, table_name) }}) as empty_bronze
    {%- else -%}
        {{ bronze_relation(source_name, table_name) }}
    {%- endif -%}
{%- endmacro %}


{% macro bronze_relation(source_name, table_name) -%}
    {{ return(adapter.dispatch('bronze_relation', 'tributary')(source_name, table_name)) }}
{%- endmacro %}


{% macro default__bronze_relation(source_name, table_name) -%}
    {#- DuckDB: views in the warehouse itself (declare_bronze_views()). -#}
    {{ return(source(source_name, table_name)) }}
{%- endmacro %}


{% macro trino__bronze_relation(source_name, table_name) -%}
    {#-
        Trino: Hive external tables in the `hive` catalog, which the dbt stage
        declares (steps/dbt/bronze_tables.py); silver and gold are Iceberg
        tables in the target's catalog. The one place the bronze catalog
        depends on the target: sources YAML files cannot call macros, so they
        name no database and this replaces the target's.
    -#}
    {%- set relation = source(source_name, table_name) -%}
    {{ return(relation.incorporate(path={'database': 'hive'}) if execute else relation) }}
{%- endmacro %}


{% macro bronze_exists(source_name, table_name) -%}
    {{ return(adapter.dispatch('bronze_exists', 'tributary')(source_name, table_name)) }}
{%- endmacro %}


{% macro duckdb__bronze_exists(source_name, table_name) -%}
    {#- DuckDB reads the files: a table exists once a manifest commits one. -#}
    {{ return(bronze_files(source_name, table_name) | length > 0) }}
{%- endmacro %}


{% macro bronze_files(source_name, table_name) -%}
    {#-
        The committed bronze Parquet files of a source table: the URIs the
        manifests name, listed by the dbt stage (steps/dbt/committed.py) in
        TRIBUTARY_BRONZE_FILES ({source: {table: [uri, ...]}}). Never a glob:
        a file published by a run that crashed before its manifest is visible
        but not committed. Unset, nothing is committed. Read at run time,
        never at parse time, so that a saved parse serves every lake.
    -#}
    {%- set index = fromjson(env_var('TRIBUTARY_BRONZE_FILES', '{}')) -%}
    {{- return(index.get(source_name, {}).get(table_name, [])) -}}
{%- endmacro %}


{% macro sql_string(value) -%}
    {#- A SQL string literal of any value: quotes doubled (lake paths may hold them). -#}
    {{- return("'" ~ (value | string | replace("'", "''")) ~ "'") -}}
{%- endmacro %}


{% macro declare_bronze_views() -%}
    {#-
        Run before every build (on-run-start): make each bronze table of the
        enabled sources a relation of the warehouse, as Trino's Hive external
        tables are (the dbt stage declares those). Renders no SQL itself.
    -#}
    {{- adapter.dispatch('declare_bronze_views', 'tributary')() -}}
{%- endmacro %}


{% macro default__declare_bronze_views() -%}
{%- endmacro %}


{% macro duckdb__declare_bronze_views() -%}
    {#-
        A view per bronze table over its committed Parquet files (a list
        literal, never a glob), replaced on every build so it sees new files
        and new columns (union_by_name); tables without committed files get
        no view (bronze_source() stands in an empty one).
    -#}
    {%- if execute -%}
        {%- set enabled = enabled_sources() -%}
        {%- for node in graph.sources.values() if node.source_name in enabled -%}
            {%- set files = bronze_files(node.source_name, node.name) -%}
            {%- set relation = source(node.source_name, node.name) -%}
            {%- if files | length > 0 -%}
                {%- do run_query('create schema if not exists ' ~ adapter.quote(node.schema)) -%}
                {%- set literals = [] -%}
                {%- for path in files -%}
                    {%- do literals.append(sql_string(path)) -%}
                {%- endfor -%}
                {%- do run_query(
                    'create or replace view ' ~ relation
                    ~ ' as select * from read_parquet([' ~ literals | join(', ')
                    ~ '], hive_partitioning = true, union_by_name = true)'
                ) -%}
            {%- else -%}
                {#- A view left from an earlier build (its batch since quarantined) must not outlive its files. -#}
                {%- do run_query('drop view if exists ' ~ relation) -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endif -%}
{%- endmacro %}


{% macro default__bronze_exists(source_name, table_name) -%}
    {#- Trino reads Hive external tables: the table must be registered. -#}
    {%- set relation = bronze_relation(source_name, table_name) -%}
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


{% macro source_delivered(source_name) -%}
    {#-
        Whether a pipeline source has at least one committed bronze delivery
        on this target: any of its tables exists (bronze_exists()). False for
        a source never ingested, and for one whose only batches the bronze
        gate held back (quarantined). Read at run time only.
    -#}
    {%- for node in graph.sources.values() if node.source_name == source_name -%}
        {%- if bronze_exists(source_name, node.name) -%}
            {{- return(true) -}}
        {%- endif -%}
    {%- endfor -%}
    {{- return(false) -}}
{%- endmacro %}
