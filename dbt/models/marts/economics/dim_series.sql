{#- One row per series of fct_economic_observations, with what its source
    says about it (title, frequency, unit, seasonal adjustment) and what the
    fact table holds (first and last date, count). -#}
{{ config(enabled=economics_enabled()) }}

with

observations as (

    select * from {{ ref('fct_economic_observations') }}

),

conformed_observations as (

    {# Every observation, reportable or not: what a source says about a
       series does not depend on which values the fact table keeps. #}
    {{ union_observations_conformed() }}

),

series_observations as (

    select
        series_id,
        min(source_name) as source_name,
        max(unit) as unit,
        min(observation_date) as first_observation_date,
        max(observation_date) as last_observation_date,
        count(*) as observation_count,
        max(ingested_at) as last_ingested_at
    from observations
    group by series_id

),

series_metadata as (

    select
        series_id,
        max(native_series_id) as native_series_id,
        max(series_title) as series_title,
        max(frequency) as frequency,
        max(seasonal_adjustment) as seasonal_adjustment,
        max(source_updated_at) as source_updated_at
    from conformed_observations
    group by series_id

),

final as (

    select
        series_observations.series_id,
        series_observations.source_name,
        series_metadata.native_series_id,
        coalesce(series_metadata.series_title, series_observations.series_id) as series_title,
        series_metadata.frequency,
        series_observations.unit,
        series_metadata.seasonal_adjustment,
        series_observations.first_observation_date,
        series_observations.last_observation_date,
        series_observations.observation_count,
        series_metadata.source_updated_at,
        series_observations.last_ingested_at
    from series_observations
    left join series_metadata
        on series_observations.series_id = series_metadata.series_id

)

select * from final
