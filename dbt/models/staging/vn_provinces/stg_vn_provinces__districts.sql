{{ config(unique_key='district_code') }}

with

source as (

    select * from {{ bronze_source('vn_provinces', 'districts') }}
    {{ incremental_ingest_filter() }}

),

renamed as (

    select
        ---------- ids
        cast(code as integer) as district_code,
        cast(province_code as integer) as province_code,
        cast(_run_id as varchar) as run_id,

        ---------- strings
        cast(name as varchar) as district_name,
        cast(division_type as varchar) as division_type,
        cast(codename as varchar) as codename,
        cast(source_api as varchar) as source_api,

        ---------- timestamps
        cast(_ingested_at as {{ type_timestamp_tz() }}) as ingested_at

    from source

),

hashed as (

    select
        *,
        {{ row_hash([
            'district_code', 'province_code', 'district_name', 'division_type',
            'codename'
        ]) }} as row_hash
    from renamed

),

latest_delivery as (

    {# Every run re-delivers every unit; keep each code's latest delivery.
       Post-reform runs deliver no districts, so the pre-reform rows stay
       (flagged as not in the latest ingest downstream). #}
    {{ latest_delivery(
        'hashed',
        ['district_code'],
        order_by=['ingested_at desc', 'run_id desc']
    ) }}

),

changes as (

    {{ row_changes('hashed', 'district_code') }}

),

versioned as (

    select
        latest_delivery.district_code,
        latest_delivery.province_code,
        changes.run_id,
        latest_delivery.district_name,
        latest_delivery.division_type,
        latest_delivery.codename,
        latest_delivery.source_api,
        latest_delivery.row_hash,
        changes.first_seen_at,
        changes.last_changed_at,
        latest_delivery.ingested_at
    from latest_delivery
    inner join changes
        on latest_delivery.district_code = changes.district_code

)

select * from versioned
