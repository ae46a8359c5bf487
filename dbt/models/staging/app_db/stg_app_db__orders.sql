{{ config(unique_key='order_id') }}

with

source as (

    select * from {{ bronze_source('app_db', 'orders') }}
    {{ incremental_ingest_filter() }}

),

latest_delivery as (

    {# The source re-reads rows at the watermark boundary (>=) and within
       its lookback: a key can arrive in several runs, and within one batch
       the newest version wins (the latest updated_at, then the latest run). #}
    {{ latest_delivery(
        'source',
        ['order_id'],
        order_by=['updated_at desc', '_ingested_at desc', '_run_id desc']
    ) }}

),

renamed as (

    select
        ---------- ids
        cast(order_id as integer) as order_id,
        cast(_run_id as varchar) as run_id,

        ---------- strings
        cast(customer as varchar) as customer_ref,
        cast(status as varchar) as order_status,
        cast(details as varchar) as details_json,

        ---------- numerics
        cast(amount as decimal(12, 2)) as order_amount,

        ---------- timestamps
        cast(updated_at as {{ type_timestamp_tz() }}) as updated_at,
        cast(_ingested_at as {{ type_timestamp_tz() }}) as ingested_at

    from latest_delivery

)

select * from renamed
