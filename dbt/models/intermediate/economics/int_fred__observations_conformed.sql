{{ config(enabled=economics_enabled() and source_enabled('fred')) }}

with

observations as (

    select * from {{ ref('stg_fred__observations') }}

),

series as (

    select * from {{ ref('stg_fred__series') }}

),

conformed as (

    {# The series' title, frequency and unit come from its metadata, which
       may be missing: then they are null. #}
    select
        ---------- ids
        'fred:' || observations.series_id as series_id,
        series.series_id as native_series_id,

        ---------- strings
        cast('fred' as varchar) as source_name,
        series.series_title,
        series.frequency,
        series.seasonal_adjustment,
        series.unit,

        ---------- numerics
        observations.observation_value,

        ---------- booleans
        {# FRED serves "." where it has no observation (a market holiday). #}
        observations.observation_value is not null as is_reportable,

        ---------- dates
        observations.observation_date,

        ---------- timestamps
        series.last_updated_at as source_updated_at,
        observations.ingested_at

    from observations
    left join series
        on observations.series_id = series.series_id

)

select * from conformed
