{{ config(enabled=economics_enabled() and source_enabled('noaa')) }}

with

observations as (

    select * from {{ ref('stg_noaa__observations') }}

),

conformed as (

    {# One series per station and GHCND element. #}
    select
        ---------- ids
        'noaa:' || station_id || ':' || datatype as series_id,
        station_id || ':' || datatype as native_series_id,

        ---------- strings
        cast('noaa' as varchar) as source_name,
        case datatype
            when 'TMAX' then 'Maximum temperature'
            when 'TMIN' then 'Minimum temperature'
            when 'TAVG' then 'Average temperature'
            when 'PRCP' then 'Precipitation'
            when 'SNOW' then 'Snowfall'
            when 'SNWD' then 'Snow depth'
            else datatype
        end || ' at ' || station_id as series_title,
        cast('Daily' as varchar) as frequency,
        cast(null as varchar) as seasonal_adjustment,
        unit,

        ---------- numerics
        observation_value,

        ---------- booleans
        {# A value that failed a GHCND quality check is not reported. #}
        observation_value is not null and is_quality_ok as is_reportable,

        ---------- dates
        observation_date,

        ---------- timestamps
        cast(null as {{ type_timestamp_tz() }}) as source_updated_at,
        ingested_at

    from observations

)

select * from conformed
