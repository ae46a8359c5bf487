{{ config(unique_key='observation_id') }}

with

source as (

    select * from {{ bronze_source('fred', 'observations') }}
    {{ incremental_ingest_filter() }}

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

    from source

),

hashed as (

    {# The observation; the real-time period is the day of the request. #}
    select
        *,
        {{ row_hash(['observation_id', hash_double('observation_value')]) }} as row_hash
    from renamed

),

latest_delivery as (

    {# Lookback re-fetches and backfills re-deliver keys with revised
       values: keep each key's latest delivery. #}
    {{ latest_delivery(
        'hashed',
        ['observation_id'],
        order_by=['ingested_at desc', 'run_id desc']
    ) }}

),

changes as (

    {{ row_changes('hashed', 'observation_id') }}

),

versioned as (

    select
        latest_delivery.observation_id,
        latest_delivery.series_id,
        changes.run_id,
        latest_delivery.observation_value,
        latest_delivery.observation_date,
        latest_delivery.realtime_start_date,
        latest_delivery.realtime_end_date,
        latest_delivery.row_hash,
        changes.first_seen_at,
        changes.last_changed_at,
        latest_delivery.ingested_at
    from latest_delivery
    inner join changes
        on latest_delivery.observation_id = changes.observation_id

)

select * from versioned
