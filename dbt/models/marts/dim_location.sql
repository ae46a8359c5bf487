{{ config(enabled=source_enabled('vn_provinces')) }}

with

location_snapshots as (

    select * from {{ ref('snp_locations') }}

),

versions as (

    select
        ---------- ids
        dbt_scd_id as location_version_id,
        location_id,
        parent_location_id,

        ---------- strings
        {# A union of literals on Trino is sized (varchar(8)), which the
           contract's varchar would not match. #}
        cast(location_level as varchar) as location_level,
        location_name,
        division_type,
        codename,

        ---------- numerics
        location_code,
        province_code,
        district_code,

        ---------- booleans
        dbt_valid_to is null as is_current,

        ---------- timestamps
        {# The snapshot's own stamps are naive UTC on DuckDB; say so in the
           type, like every other timestamp in the project. #}
        cast(dbt_valid_from as {{ type_timestamp_tz() }}) as effective_from,
        cast(dbt_valid_to as {{ type_timestamp_tz() }}) as effective_to

    from location_snapshots

)

select * from versions
