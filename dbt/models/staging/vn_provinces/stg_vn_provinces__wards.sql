{{ config(unique_key='ward_code') }}

with

source as (

    select * from {{ bronze_source('vn_provinces', 'wards') }}
    {{ incremental_ingest_filter() }}

),

renamed as (

    select
        ---------- ids
        cast(code as integer) as ward_code,
        cast(district_code as integer) as district_code,
        cast(province_code as integer) as province_code,
        cast(_run_id as varchar) as run_id,

        ---------- strings
        cast(name as varchar) as ward_name,
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
            'ward_code', 'district_code', 'province_code', 'ward_name',
            'division_type', 'codename'
        ]) }} as row_hash
    from renamed

),

latest_delivery as (

    {# Every run re-delivers every unit; keep each code's latest delivery.
       Post-reform wards reuse pre-reform ward codes and replace those rows. #}
    {{ latest_delivery(
        'hashed',
        ['ward_code'],
        order_by=['ingested_at desc', 'run_id desc']
    ) }}

),

changes as (

    {{ row_changes('hashed', 'ward_code') }}

),

versioned as (

    select
        latest_delivery.ward_code,
        latest_delivery.district_code,
        latest_delivery.province_code,
        changes.run_id,
        latest_delivery.ward_name,
        latest_delivery.division_type,
        latest_delivery.codename,
        latest_delivery.source_api,
        latest_delivery.row_hash,
        changes.first_seen_at,
        changes.last_changed_at,
        latest_delivery.ingested_at
    from latest_delivery
    inner join changes
        on latest_delivery.ward_code = changes.ward_code

)

select * from versioned
