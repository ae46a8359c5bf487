{% snapshot snp_locations %}

{{ config(enabled=source_enabled('vn_provinces')) }}

{# Only units the newest vn_provinces ingest delivered: with hard_deletes
   invalidate, a unit absent from it (retired by the 2025 reform) gets its
   current version closed, never deleted. #}
with

locations as (

    select * from {{ ref('int_locations_unioned') }}

)

select
    location_id,
    location_level,
    location_code,
    location_name,
    division_type,
    codename,
    parent_location_id,
    province_code,
    district_code
from locations
where is_in_latest_ingest

{% endsnapshot %}
