{{ config(unique_key='observation_id') }}

with

source as (

    select * from {{ bronze_source('worldbank', 'indicator_values') }}
    {{ incremental_ingest_filter() }}

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

    from source

),

hashed as (

    {# The observation itself; the indicator's last_updated_date moves with
       any revision of the indicator, so it is no change of this row. #}
    select
        *,
        {{ row_hash([
            'observation_id', 'country_iso2', 'country_name', 'indicator_name',
            'unit', 'observation_status', hash_double('indicator_value'),
            'decimal_places'
        ]) }} as row_hash
    from renamed

),

latest_delivery as (

    {# A forced re-ingest re-delivers keys (values may be revised) and one
       batch can hold several runs: keep each key's latest delivery. #}
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
        latest_delivery.country_iso3,
        latest_delivery.country_iso2,
        latest_delivery.indicator_id,
        changes.run_id,
        latest_delivery.country_name,
        latest_delivery.indicator_name,
        latest_delivery.unit,
        latest_delivery.observation_status,
        latest_delivery.year,
        latest_delivery.indicator_value,
        latest_delivery.decimal_places,
        latest_delivery.last_updated_date,
        latest_delivery.row_hash,
        changes.first_seen_at,
        changes.last_changed_at,
        latest_delivery.ingested_at
    from latest_delivery
    inner join changes
        on latest_delivery.observation_id = changes.observation_id

)

select * from versioned
