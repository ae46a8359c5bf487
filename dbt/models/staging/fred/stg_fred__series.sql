{{ config(unique_key='series_id') }}

with

source as (

    select * from {{ bronze_source('fred', 'series') }}
    {{ incremental_ingest_filter() }}

),

latest_delivery as (

    {{ latest_delivery('source', ['series_id']) }}

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

    from latest_delivery

)

select * from renamed
