{{ config(unique_key='observation_id') }}

with

source as (

    select * from {{ bronze_source('fred', 'observations') }}
    {{ incremental_ingest_filter() }}

),

latest_delivery as (

    {# Lookback re-fetches and backfills re-deliver keys with revised
       values: keep each key's latest delivery. #}
    {{ latest_delivery('source', ['series_id', '"date"']) }}

),

renamed as (

    select
        ---------- ids
        series_id || '|' || cast("date" as varchar) as observation_id,
        cast(series_id as varchar) as series_id,
        cast(_run_id as varchar) as run_id,

        ---------- numerics
        cast("value" as double) as observation_value,

        ---------- dates
        cast("date" as date) as observation_date,
        cast(realtime_start as date) as realtime_start_date,
        cast(realtime_end as date) as realtime_end_date,

        ---------- timestamps
        cast(_ingested_at as {{ type_timestamp_tz() }}) as ingested_at

    from latest_delivery

)

select * from renamed
