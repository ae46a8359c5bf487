{{ config(unique_key='province_code') }}

with

source as (

    select * from {{ bronze_source('vn_provinces', 'provinces') }}
    {{ incremental_ingest_filter() }}

),

renamed as (

    select
        ---------- ids
        cast(code as integer) as province_code,
        cast(_run_id as varchar) as run_id,

        ---------- strings
        cast(name as varchar) as province_name,
        cast(division_type as varchar) as division_type,
        cast(codename as varchar) as codename,
        cast(source_api as varchar) as source_api,

        ---------- numerics
        cast(phone_code as integer) as phone_code,

        ---------- timestamps
        cast(_ingested_at as {{ type_timestamp_tz() }}) as ingested_at

    from source

),

hashed as (

    {# The unit itself; the API version that served it is provenance. #}
    select
        *,
        {{ row_hash([
            'province_code', 'province_name', 'division_type', 'codename',
            'phone_code'
        ]) }} as row_hash
    from renamed

),

latest_delivery as (

    {# Every run re-delivers every unit; keep each code's latest delivery.
       Codes outlive the 2025 reform (province 1 is Hà Nội in v1 and v2), so
       a post-reform row replaces the pre-reform row with the same code, and
       codes the reform retired keep their last pre-reform row. #}
    {{ latest_delivery(
        'hashed',
        ['province_code'],
        order_by=['ingested_at desc', 'run_id desc']
    ) }}

),

changes as (

    {{ row_changes('hashed', 'province_code') }}

),

versioned as (

    select
        latest_delivery.province_code,
        changes.run_id,
        latest_delivery.province_name,
        latest_delivery.division_type,
        latest_delivery.codename,
        latest_delivery.source_api,
        latest_delivery.phone_code,
        latest_delivery.row_hash,
        changes.first_seen_at,
        changes.last_changed_at,
        latest_delivery.ingested_at
    from latest_delivery
    inner join changes
        on latest_delivery.province_code = changes.province_code

)

select * from versioned
