{{ config(unique_key='series_id') }}

with

source as (

    select * from {{ bronze_source('fred', 'series') }}
    {{ incremental_ingest_filter() }}

),

renamed as (

    select
        ---------- ids
        cast(series_id as varchar) as series_id,
        cast(_run_id as varchar) as run_id,

        ---------- strings
        cast(title as varchar) as series_title,
        cast(frequency as varchar) as frequency,
        cast(frequency_short as varchar) as frequency_code,
        cast(units as varchar) as unit,
        cast(units_short as varchar) as unit_short,
        cast(seasonal_adjustment as varchar) as seasonal_adjustment,
        cast(seasonal_adjustment_short as varchar) as seasonal_adjustment_code,
        cast(notes as varchar) as notes,

        ---------- numerics
        cast(popularity as integer) as popularity,

        ---------- dates
        cast(observation_start as date) as first_available_date,
        cast(observation_end as date) as last_available_date,

        ---------- timestamps
        cast(last_updated as {{ type_timestamp_tz() }}) as last_updated_at,
        cast(_ingested_at as {{ type_timestamp_tz() }}) as ingested_at

    from source

),

hashed as (

    {# The series' description; its popularity rank and FRED's update
       time move without the series changing. #}
    select
        *,
        {{ row_hash([
            'series_id', 'series_title', 'frequency', 'frequency_code', 'unit',
            'unit_short', 'seasonal_adjustment', 'seasonal_adjustment_code',
            'notes', 'first_available_date', 'last_available_date'
        ]) }} as row_hash
    from renamed

),

latest_delivery as (

    {{ latest_delivery(
        'hashed',
        ['series_id'],
        order_by=['ingested_at desc', 'run_id desc']
    ) }}

),

changes as (

    {{ row_changes('hashed', 'series_id') }}

),

versioned as (

    select
        latest_delivery.series_id,
        changes.run_id,
        latest_delivery.series_title,
        latest_delivery.frequency,
        latest_delivery.frequency_code,
        latest_delivery.unit,
        latest_delivery.unit_short,
        latest_delivery.seasonal_adjustment,
        latest_delivery.seasonal_adjustment_code,
        latest_delivery.notes,
        latest_delivery.popularity,
        latest_delivery.first_available_date,
        latest_delivery.last_available_date,
        latest_delivery.last_updated_at,
        latest_delivery.row_hash,
        changes.first_seen_at,
        changes.last_changed_at,
        latest_delivery.ingested_at
    from latest_delivery
    inner join changes
        on latest_delivery.series_id = changes.series_id

)

select * from versioned
