{{ config(enabled=economics_enabled() and source_enabled('worldbank')) }}

with

indicator_values as (

    select * from {{ ref('stg_worldbank__indicator_values') }}

),

conformed as (

    {# One series per indicator and country; annual figures are dated on
       the first day of their year. #}
    select
        ---------- ids
        'worldbank:' || indicator_id || ':' || country_iso3 as series_id,
        indicator_id || ':' || country_iso3 as native_series_id,

        ---------- strings
        cast('worldbank' as varchar) as source_name,
        indicator_name || ', ' || country_name as series_title,
        cast('Annual' as varchar) as frequency,
        cast(null as varchar) as seasonal_adjustment,
        {# "GDP (current US$)" -> "current US$": the unit is in the name #}
        nullif(regexp_extract(indicator_name, '\(([^)]*)\)', 1), '') as unit,

        ---------- numerics
        indicator_value as observation_value,

        ---------- booleans
        {# Years the World Bank has not published yet have no value. #}
        indicator_value is not null as is_reportable,

        ---------- dates
        cast(cast(year as varchar) || '-01-01' as date) as observation_date,

        ---------- timestamps
        cast(last_updated_date as {{ type_timestamp_tz() }}) as source_updated_at,
        ingested_at

    from indicator_values

)

select * from conformed
