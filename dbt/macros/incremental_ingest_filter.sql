{% macro incremental_ingest_filter(
    source_column='_ingested_at',
    model_column='ingested_at'
) -%}
    {#-
        Bronze is append-only and every ingest run stamps one ingest time on
        all its rows, so bronze rows at or before the newest ingest time this
        model already holds have been merged. Reading only newer rows keeps an
        incremental run proportional to the new ingest, not the whole history.
        An empty model (the first ingest delivered no rows) reads everything.
    -#}
    {%- if is_incremental() %}
    where
        {{ source_column }} > (select max({{ model_column }}) from {{ this }})
        or not exists (select 1 from {{ this }})
    {%- endif %}
{%- endmacro %}
