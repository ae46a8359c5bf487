{{ config(unique_key='ward_code') }}

with

source as (

    select * from {{ bronze_source('vn_provinces', 'wards') }}
    {{ incremental_ingest_filter() }}

),

latest_delivery as (

    {# Every run re-delivers every unit; keep each code's latest delivery.
       Post-reform wards reuse pre-reform ward codes and replace those rows. #}
    {{ latest_delivery('source', ['code']) }}

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

    from latest_delivery

)

select * from renamed
