{{ config(unique_key='fx_rate_id') }}

with

source as (

    select * from {{ bronze_source('fx_files', 'fx_rates') }}
    {{ incremental_ingest_filter() }}

),

latest_delivery as (

    {# A corrected file is ingested again: its rows replace the earlier ones. #}
    {{ latest_delivery(
        'source',
        ['rate_date', 'currency'],
        order_by=['_ingested_at desc', '_run_id desc', '_source_file desc']
    ) }}

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

    from latest_delivery

)

select * from renamed
