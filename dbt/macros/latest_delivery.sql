{% macro latest_delivery(
    relation,
    partition_by,
    order_by=['_ingested_at desc', '_run_id desc']
) -%}
    {#-
        The rows of `relation` that are the latest delivery of their key:
        bronze is append-only, and a re-ingest, a lookback re-fetch or a
        backfill delivers a key again (possibly revised), so one incremental
        batch can hold several deliveries of a key. The newest ingest wins,
        then the greater run id (two runs can share an ingest time).
        A select statement; callers put it in a CTE. Written as a subquery
        filter rather than `qualify`, which Trino lacks.
    -#}
    select * from (
        select
            *,
            row_number() over (
                partition by {{ partition_by | join(', ') }}
                order by {{ order_by | join(', ') }}
            ) as delivery_rank
        from {{ relation }}
    ) as ranked_deliveries
    where delivery_rank = 1
{%- endmacro %}
