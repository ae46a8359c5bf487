{% macro row_changes(relation, unique_key, delivery_order=['ingested_at', 'run_id']) -%}
    {#-
        Per key of `relation` (a staging model's batch: every delivery it
        reads, typed, with row_hash, run_id and ingested_at), what change
        detection keeps across deliveries: first_seen_at (the first delivery
        of the key), last_changed_at and run_id (the delivery whose hash
        differed from the one before it). On incremental runs the row silver
        already holds is the delivery before the batch's first, so a
        re-delivery of unchanged values keeps all three as they were. A full
        build over every delivery gives what the incremental builds gave.
        `delivery_order` sorts a key's deliveries oldest first (the reverse
        of latest_delivery()'s order). A select statement; callers join it to
        the key's latest delivery.
    -#}
    {%- set held = is_incremental() -%}
    {%- if held -%}
        {#- A silver table from before change detection lacks the columns:
            its rows count as unknown history (the next delivery changes them). -#}
        {%- set held_columns = adapter.get_columns_in_relation(this)
            | map(attribute='name') | map('lower') | list -%}
        {%- set tracked = 'row_hash' in held_columns -%}
    {%- endif -%}
    select
        keys.{{ unique_key }},
        {%- if held %}
        coalesce(
            {{ 'held.first_seen_at' if tracked else 'held.ingested_at' }},
            keys.first_delivered_at
        ) as first_seen_at,
        coalesce(newest_change.ingested_at, {{ 'held.last_changed_at' if tracked else 'held.ingested_at' }})
            as last_changed_at,
        coalesce(newest_change.run_id, held.run_id) as run_id
        {%- else %}
        keys.first_delivered_at as first_seen_at,
        newest_change.ingested_at as last_changed_at,
        newest_change.run_id
        {%- endif %}
    from (
        select
            {{ unique_key }},
            min(ingested_at) as first_delivered_at
        from {{ relation }}
        group by {{ unique_key }}
    ) as keys
    left join (
        select * from (
            select
                {{ unique_key }},
                ingested_at,
                run_id,
                row_number() over (
                    partition by {{ unique_key }}
                    order by {{ delivery_order | join(' desc, ') }} desc
                ) as change_rank
            from (
                select
                    deliveries.{{ unique_key }},
                    {%- for column in (['ingested_at', 'run_id'] + delivery_order) | unique %}
                    deliveries.{{ column }},
                    {%- endfor %}
                    deliveries.row_hash,
                    coalesce(
                        lag(deliveries.row_hash) over (
                            partition by deliveries.{{ unique_key }}
                            order by {% for column in delivery_order -%}
                                deliveries.{{ column }}{{ ', ' if not loop.last }}
                            {%- endfor %}
                        ),
                        {{ 'held.row_hash' if held and tracked else 'cast(null as varchar)' }}
                    ) as previous_hash
                from (
                    {#- Only what the comparison needs: the window then sorts a few
                        narrow columns, not every column of the batch. -#}
                    select
                        {{ unique_key }},
                        {%- for column in (['ingested_at', 'run_id'] + delivery_order) | unique %}
                        {{ column }},
                        {%- endfor %}
                        row_hash
                    from {{ relation }}
                ) as deliveries
                {%- if held and tracked %}
                left join {{ this }} as held
                    on deliveries.{{ unique_key }} = held.{{ unique_key }}
                {%- endif %}
            ) as compared
            where previous_hash is null or previous_hash <> row_hash
        ) as changes
        where change_rank = 1
    ) as newest_change
        on keys.{{ unique_key }} = newest_change.{{ unique_key }}
    {%- if held %}
    left join {{ this }} as held
        on keys.{{ unique_key }} = held.{{ unique_key }}
    {%- endif %}
{%- endmacro %}
