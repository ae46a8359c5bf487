{{ config(unique_key='order_id') }}

with

source as (

    select * from {{ bronze_source('app_db', 'orders') }}
    {{ incremental_ingest_filter() }}

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

    from source

),

hashed as (

    select
        *,
        {{ row_hash([
            'order_id', 'customer_ref', 'order_status', 'details_json',
            'order_amount', hash_timestamp('updated_at')
        ]) }} as row_hash
    from renamed

),

latest_delivery as (

    {# The source re-reads rows at the watermark boundary (>=) and within
       its lookback: a key can arrive in several runs, and within one batch
       the newest version wins (the latest updated_at, then the latest run). #}
    {{ latest_delivery(
        'hashed',
        ['order_id'],
        order_by=['updated_at desc', 'ingested_at desc', 'run_id desc']
    ) }}

),

changes as (

    {{ row_changes(
        'hashed',
        'order_id',
        delivery_order=['updated_at', 'ingested_at', 'run_id']
    ) }}

),

versioned as (

    select
        latest_delivery.order_id,
        changes.run_id,
        latest_delivery.customer_ref,
        latest_delivery.order_status,
        latest_delivery.details_json,
        latest_delivery.order_amount,
        latest_delivery.updated_at,
        latest_delivery.row_hash,
        changes.first_seen_at,
        changes.last_changed_at,
        latest_delivery.ingested_at
    from latest_delivery
    inner join changes
        on latest_delivery.order_id = changes.order_id

)

select * from versioned
