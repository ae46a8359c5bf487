{{ config(enabled=economics_enabled()) }}

with

observations as (

    {# Every enabled observation source, conformed to one column set. #}
    {{ union_observations_conformed() }}

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
    from observations
    where is_reportable

)

select * from final
