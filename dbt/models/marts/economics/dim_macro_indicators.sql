{{ config(enabled=source_enabled('worldbank')) }}
{#- One pivoted column, and its year-over-year columns, per indicator in the
    worldbank_macro_indicators var (dbt_project.yml), built up front so each
    select list is one expression. -#}
{%- set indicator_columns = var('worldbank_macro_indicators') -%}
{%- set pivoted_columns = [] -%}
{%- set compared_columns = [] -%}
{%- set indicator_ids = "'" ~ (indicator_columns.values() | join("', '")) ~ "'" -%}
{%- for column_name, indicator_id in indicator_columns.items() -%}
    {%- do pivoted_columns.append(
        "max(case when indicator_id = '" ~ indicator_id ~ "' then indicator_value end)\n"
        ~ "            as " ~ column_name
    ) -%}
    {%- do compared_columns.append(
        year_over_year_columns(column_name, 'current_year', 'previous_year') | trim
    ) -%}
{%- endfor %}

with

observations as (

    select * from {{ ref('stg_worldbank__indicator_values') }}

),

country_years as (

    {# One row per country and year, one column per indicator. #}
    select
        country_iso3,
        max(country_name) as country_name,
        year,
        {{ pivoted_columns | join(',\n        ') }}
    from observations
    where indicator_id in ({{ indicator_ids }})
    group by country_iso3, year

),

compared_to_previous_year as (

    {# A join on year - 1 rather than lag(): when a year is missing, the
       next year has no previous value instead of comparing with the year
       before the gap. #}
    select
        current_year.country_iso3 || '-' || cast(current_year.year as varchar)
            as macro_indicator_id,
        current_year.country_iso3,
        current_year.country_name,
        current_year.year,
        {{ compared_columns | join(',\n        ') }}
    from country_years as current_year
    left join country_years as previous_year
        on
            current_year.country_iso3 = previous_year.country_iso3
            and current_year.year - 1 = previous_year.year

)

select * from compared_to_previous_year
