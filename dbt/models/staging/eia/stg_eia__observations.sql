{{ config(unique_key='observation_id') }}

with

source as (

    select * from {{ bronze_source('eia', 'observations') }}
    {{ incremental_ingest_filter() }}

),

latest_delivery as (

    {# Lookback re-fetches re-deliver recent periods (EIA revises them):
       keep each key's latest delivery. #}
    {{ latest_delivery('source', ['route', 'frequency', 'series_id', 'period']) }}

),

renamed as (

    select
        ---------- ids
        route || '|' || frequency || '|' || series_id || '|' || period as observation_id,
        cast(series_id as varchar) as series_id,
        cast(_run_id as varchar) as run_id,

        ---------- strings
        cast(route as varchar) as route,
        cast(frequency as varchar) as frequency,
        cast(period as varchar) as period,
        cast(units as varchar) as unit,
        cast(series_description as varchar) as series_description,
        cast(attributes as varchar) as attributes_json,

        ---------- numerics
        cast("value" as double) as observation_value,

        ---------- dates
        cast(period_date as date) as period_start_date,

        ---------- timestamps
        cast(_ingested_at as {{ type_timestamp_tz() }}) as ingested_at

    from latest_delivery

)

select * from renamed
