{{ config(enabled=economics_enabled() and source_enabled('eia')) }}

with

observations as (

    select * from {{ ref('stg_eia__observations') }}

),

conformed as (

    {# A series is a value of the configured facet, across routes and
       frequencies; an observation is dated on the first day of its period. #}
    select
        ---------- ids
        'eia:' || series_id as series_id,
        series_id as native_series_id,

        ---------- strings
        cast('eia' as varchar) as source_name,
        series_description as series_title,
        frequency,
        cast(null as varchar) as seasonal_adjustment,
        unit,

        ---------- numerics
        observation_value,

        ---------- booleans
        observation_value is not null as is_reportable,

        ---------- dates
        period_start_date as observation_date,

        ---------- timestamps
        cast(null as {{ type_timestamp_tz() }}) as source_updated_at,
        ingested_at

    from observations

)

select * from conformed
