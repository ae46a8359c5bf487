{% test scd2_valid_history(model, unique_key, valid_from, valid_to) %}

{#- Returns every version that breaks SCD2 history for its key: more than
    one open (current) version, an interval that ends before it starts, an
    open version followed by a later one, or an interval that overlaps the
    next version. A key whose last version is closed (the unit was retired)
    is valid with no current version. -#}

with

versions as (

    select
        {{ unique_key }} as version_key,
        {{ valid_from }} as valid_from,
        {{ valid_to }} as valid_to,
        count(case when {{ valid_to }} is null then 1 end)
            over (partition by {{ unique_key }}) as open_versions,
        lead({{ valid_from }}) over (
            partition by {{ unique_key }} order by {{ valid_from }}
        ) as next_valid_from
    from {{ model }}

),

violations as (

    select
        version_key,
        valid_from,
        valid_to,
        case
            when open_versions > 1 then 'more than one current version'
            when valid_to <= valid_from then 'ends before it starts'
            when valid_to is null and next_valid_from is not null
                then 'current version is not the latest'
            when next_valid_from < valid_to then 'overlaps the next version'
        end as violation
    from versions

)

select * from violations
where violation is not null

{% endtest %}
