{{ config(unique_key='observation_id') }}

with

source as (

    select * from {{ bronze_source('eia', 'observations') }}
    {{ incremental_ingest_filter() }}

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

    from source

),

hashed as (

    select
        *,
        {{ row_hash([
            'observation_id', 'unit', 'series_description', 'attributes_json',
            hash_double('observation_value'), 'period_start_date'
        ]) }} as row_hash
    from renamed

),

latest_delivery as (

    {# Lookback re-fetches re-deliver recent periods (EIA revises them):
       keep each key's latest delivery. #}
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
        latest_delivery.route,
        latest_delivery.frequency,
        latest_delivery.period,
        latest_delivery.unit,
        latest_delivery.series_description,
        latest_delivery.attributes_json,
        latest_delivery.observation_value,
        latest_delivery.period_start_date,
        latest_delivery.row_hash,
        changes.first_seen_at,
        changes.last_changed_at,
        latest_delivery.ingested_at
    from latest_delivery
    inner join changes
        on latest_delivery.observation_id = changes.observation_id

)

select * from versioned
