{{ config(unique_key='fx_rate_id') }}

with

source as (

    select * from {{ bronze_source('fx_files', 'fx_rates') }}
    {{ incremental_ingest_filter() }}

),

renamed as (

    select
        ---------- ids
        cast(rate_date as varchar) || '|' || currency as fx_rate_id,
        cast(currency as varchar) as currency_code,
        cast(_run_id as varchar) as run_id,

        ---------- strings
        cast(_source_file as varchar) as source_file,

        ---------- numerics
        cast(rate as double) as exchange_rate,
        cast(_source_row as bigint) as source_row,

        ---------- dates
        cast(rate_date as date) as rate_date,

        ---------- timestamps
        cast(_ingested_at as {{ type_timestamp_tz() }}) as ingested_at

    from source

),

hashed as (

    {# The rate; which file and row carried it is provenance. #}
    select
        *,
        {{ row_hash(['fx_rate_id', hash_double('exchange_rate')]) }} as row_hash
    from renamed

),

latest_delivery as (

    {# A corrected file is ingested again: its rows replace the earlier ones. #}
    {{ latest_delivery(
        'hashed',
        ['fx_rate_id'],
        order_by=['ingested_at desc', 'run_id desc', 'source_file desc']
    ) }}

),

changes as (

    {{ row_changes(
        'hashed',
        'fx_rate_id',
        delivery_order=['ingested_at', 'run_id', 'source_file']
    ) }}

),

versioned as (

    select
        latest_delivery.fx_rate_id,
        latest_delivery.currency_code,
        changes.run_id,
        latest_delivery.source_file,
        latest_delivery.exchange_rate,
        latest_delivery.source_row,
        latest_delivery.rate_date,
        latest_delivery.row_hash,
        changes.first_seen_at,
        changes.last_changed_at,
        latest_delivery.ingested_at
    from latest_delivery
    inner join changes
        on latest_delivery.fx_rate_id = changes.fx_rate_id

)

select * from versioned
