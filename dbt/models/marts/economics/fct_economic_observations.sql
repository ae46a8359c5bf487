{#- One part per enabled time-series source (var tributary_sources); the
    World Bank's annual figures join them when that source is enabled. -#}
{%- set enabled = var('tributary_sources') -%}
{%- set parts = [] -%}

with

{% if 'worldbank' in enabled -%}
{%- do parts.append('worldbank') %}
worldbank as (

    select
        'worldbank:' || indicator_id || ':' || country_iso3 as series_id,
        'worldbank' as source_name,
        cast(cast(year as varchar) || '-01-01' as date) as observation_date,
        indicator_value as observation_value,
        {# "GDP (current US$)" -> "current US$": the unit is in the name #}
        nullif(regexp_extract(indicator_name, '\(([^)]*)\)', 1), '') as unit,
        ingested_at
    from {{ ref('stg_worldbank__indicator_values') }}
    where indicator_value is not null

),
{% endif %}

{% if 'fred' in enabled -%}
{%- do parts.append('fred') %}
fred as (

    select
        'fred:' || observations.series_id as series_id,
        'fred' as source_name,
        observations.observation_date,
        observations.observation_value,
        series.unit,
        observations.ingested_at
    from {{ ref('stg_fred__observations') }} as observations
    left join {{ ref('stg_fred__series') }} as series
        on observations.series_id = series.series_id
    where observations.observation_value is not null

),
{% endif %}

{% if 'eia' in enabled -%}
{%- do parts.append('eia') %}
eia as (

    select
        'eia:' || series_id as series_id,
        'eia' as source_name,
        period_start_date as observation_date,
        observation_value,
        unit,
        ingested_at
    from {{ ref('stg_eia__observations') }}
    where observation_value is not null

),
{% endif %}

{% if 'noaa' in enabled -%}
{%- do parts.append('noaa') %}
noaa as (

    select
        'noaa:' || station_id || ':' || datatype as series_id,
        'noaa' as source_name,
        observation_date,
        observation_value,
        unit,
        ingested_at
    from {{ ref('stg_noaa__observations') }}
    where observation_value is not null and is_quality_ok

),
{% endif %}

unioned as (

    {% for part in parts -%}
    select * from {{ part }}
    {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

final as (

    select
        series_id || '|' || cast(observation_date as varchar) as economic_observation_id,
        series_id,
        source_name,
        observation_date,
        observation_value,
        unit,
        ingested_at
    from unioned

)

select * from final
