{#- One row per series of fct_economic_observations, with what its source
    says about it (title, frequency, unit, seasonal adjustment) and what the
    fact table holds (first and last date, count). -#}
{%- set enabled = var('tributary_sources') -%}
{%- set parts = [] -%}

with

observations as (

    select
        series_id,
        min(source_name) as source_name,
        max(unit) as unit,
        min(observation_date) as first_observation_date,
        max(observation_date) as last_observation_date,
        count(*) as observation_count,
        max(ingested_at) as last_ingested_at
    from {{ ref('fct_economic_observations') }}
    group by series_id

),

{% if 'worldbank' in enabled -%}
{%- do parts.append('worldbank_series') %}
worldbank_series as (

    select
        'worldbank:' || indicator_id || ':' || country_iso3 as series_id,
        indicator_id || ':' || country_iso3 as native_series_id,
        max(indicator_name || ', ' || country_name) as series_title,
        'Annual' as frequency,
        cast(null as varchar) as seasonal_adjustment,
        cast(max(last_updated_date) as {{ type_timestamp_tz() }}) as source_updated_at
    from {{ ref('stg_worldbank__indicator_values') }}
    group by indicator_id, country_iso3

),
{% endif %}

{% if 'fred' in enabled -%}
{%- do parts.append('fred_series') %}
fred_series as (

    select
        'fred:' || series_id as series_id,
        series_id as native_series_id,
        series_title,
        frequency,
        seasonal_adjustment,
        last_updated_at as source_updated_at
    from {{ ref('stg_fred__series') }}

),
{% endif %}

{% if 'eia' in enabled -%}
{%- do parts.append('eia_series') %}
eia_series as (

    select
        'eia:' || series_id as series_id,
        series_id as native_series_id,
        max(series_description) as series_title,
        max(frequency) as frequency,
        cast(null as varchar) as seasonal_adjustment,
        cast(null as {{ type_timestamp_tz() }}) as source_updated_at
    from {{ ref('stg_eia__observations') }}
    group by series_id

),
{% endif %}

{% if 'noaa' in enabled -%}
{%- do parts.append('noaa_series') %}
noaa_series as (

    select
        'noaa:' || station_id || ':' || datatype as series_id,
        station_id || ':' || datatype as native_series_id,
        case datatype
            when 'TMAX' then 'Maximum temperature'
            when 'TMIN' then 'Minimum temperature'
            when 'TAVG' then 'Average temperature'
            when 'PRCP' then 'Precipitation'
            when 'SNOW' then 'Snowfall'
            when 'SNWD' then 'Snow depth'
            else datatype
        end || ' at ' || station_id as series_title,
        'Daily' as frequency,
        cast(null as varchar) as seasonal_adjustment,
        cast(null as {{ type_timestamp_tz() }}) as source_updated_at
    from {{ ref('stg_noaa__observations') }}
    group by station_id, datatype

),
{% endif %}

metadata as (

    {% for part in parts -%}
    select * from {{ part }}
    {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

final as (

    select
        observations.series_id,
        observations.source_name,
        metadata.native_series_id,
        coalesce(metadata.series_title, observations.series_id) as series_title,
        metadata.frequency,
        observations.unit,
        metadata.seasonal_adjustment,
        observations.first_observation_date,
        observations.last_observation_date,
        observations.observation_count,
        metadata.source_updated_at,
        observations.last_ingested_at
    from observations
    left join metadata
        on observations.series_id = metadata.series_id

)

select * from final
