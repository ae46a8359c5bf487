{{ config(enabled=source_enabled('vn_provinces')) }}

with

provinces as (

    select * from {{ ref('stg_vn_provinces__provinces') }}

),

districts as (

    select * from {{ ref('stg_vn_provinces__districts') }}

),

wards as (

    select * from {{ ref('stg_vn_provinces__wards') }}

),

province_locations as (

    select
        {{ location_id('province', 'province_code') }} as location_id,
        'province' as location_level,
        province_code as location_code,
        province_name as location_name,
        division_type,
        codename,
        cast(null as varchar) as parent_location_id,
        province_code,
        cast(null as integer) as district_code,
        run_id,
        ingested_at
    from provinces

),

district_locations as (

    select
        {{ location_id('district', 'district_code') }} as location_id,
        'district' as location_level,
        district_code as location_code,
        district_name as location_name,
        division_type,
        codename,
        {{ location_id('province', 'province_code') }} as parent_location_id,
        province_code,
        district_code,
        run_id,
        ingested_at
    from districts

),

ward_locations as (

    select
        {{ location_id('ward', 'ward_code') }} as location_id,
        'ward' as location_level,
        ward_code as location_code,
        ward_name as location_name,
        division_type,
        codename,
        {# The 2025 reform removed districts: a pre-reform ward hangs off its
           district, a post-reform ward (no district) off its province. #}
        case
            when district_code is null
                then {{ location_id('province', 'province_code') }}
            else {{ location_id('district', 'district_code') }}
        end as parent_location_id,
        province_code,
        district_code,
        run_id,
        ingested_at
    from wards

),

locations as (

    select * from province_locations
    union all
    select * from district_locations
    union all
    select * from ward_locations

),

latest_ingest as (

    {# Every ingest run delivers provinces and stamps one ingest time on all
       three datasets, so the newest province ingest time is the newest
       vn_provinces ingest. Not by run id: a unit's run_id is the run that
       last changed it, and a re-delivery of unchanged units keeps it. #}
    select max(ingested_at) as ingested_at
    from provinces

),

flagged as (

    select
        locations.*,
        coalesce(locations.ingested_at = latest_ingest.ingested_at, false)
            as is_in_latest_ingest
    from locations
    cross join latest_ingest

)

select * from flagged
