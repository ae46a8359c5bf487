{{ config(unique_key='observation_id') }}

with

source as (

    select * from {{ bronze_source('worldbank', 'indicator_values') }}
    {{ incremental_ingest_filter() }}

),

latest_delivery as (

    {# A forced re-ingest re-delivers keys (values may be revised) and one
       batch can hold several runs: keep each key's latest delivery. #}
    {{ latest_delivery('source', ['country_iso3', 'indicator_id', 'year']) }}

),

renamed as (

    select
        ---------- ids
        country_iso3 || '-' || indicator_id || '-' || cast(year as varchar)
            as observation_id,
        cast(country_iso3 as varchar) as country_iso3,
        cast(country_id as varchar) as country_iso2,
        cast(indicator_id as varchar) as indicator_id,
        cast(_run_id as varchar) as run_id,

        ---------- strings
        cast(country_name as varchar) as country_name,
        cast(indicator_name as varchar) as indicator_name,
        cast(unit as varchar) as unit,
        cast(obs_status as varchar) as observation_status,

        ---------- numerics
        cast(year as integer) as year,
        cast(value as double) as indicator_value,
        cast("decimal" as integer) as decimal_places,

        ---------- dates
        cast(last_updated as date) as last_updated_date,

        ---------- timestamps
        cast(_ingested_at as {{ type_timestamp_tz() }}) as ingested_at

    from latest_delivery

)

select * from renamed
