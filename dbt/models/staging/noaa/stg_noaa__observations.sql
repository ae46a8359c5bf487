{{ config(unique_key='observation_id') }}

with

source as (

    select * from {{ bronze_source('noaa', 'observations') }}
    {{ incremental_ingest_filter() }}

),

renamed as (

    select
        ---------- ids
        station || '|' || cast("date" as varchar) || '|' || datatype as observation_id,
        cast(station as varchar) as station_id,
        cast(datatype as varchar) as datatype,
        cast(_run_id as varchar) as run_id,

        ---------- strings
        cast(units as varchar) as unit_system,
        case
            when datatype in ('TMAX', 'TMIN', 'TAVG', 'TOBS')
                then
                    case units
                        when 'metric' then 'degC'
                        when 'standard' then 'degF'
                        else 'tenths of degC'
                    end
            when datatype = 'PRCP'
                then
                    case units
                        when 'metric' then 'mm'
                        when 'standard' then 'in'
                        else 'tenths of mm'
                    end
            else
                case units when 'standard' then 'in' else 'mm' end
        end as unit,
        cast(mflag as varchar) as measurement_flag,
        cast(qflag as varchar) as quality_flag,
        cast(sflag as varchar) as source_flag,
        cast(obs_time as varchar) as observation_time,

        ---------- numerics
        cast("value" as double) as observation_value,

        ---------- booleans
        qflag is null as is_quality_ok,

        ---------- dates
        cast("date" as date) as observation_date,

        ---------- timestamps
        cast(_ingested_at as {{ type_timestamp_tz() }}) as ingested_at

    from source

),

hashed as (

    select
        *,
        {{ row_hash([
            'observation_id', 'unit_system', 'measurement_flag', 'quality_flag',
            'source_flag', 'observation_time', hash_double('observation_value')
        ]) }} as row_hash
    from renamed

),

latest_delivery as (

    {{ latest_delivery(
        'hashed',
        ['observation_id'],
        order_by=['ingested_at desc', 'run_id desc']
    ) }}

),

changes as (

    {{ row_changes('hashed', 'observation_id') }}

),

versioned as (

    select
        latest_delivery.observation_id,
        latest_delivery.station_id,
        latest_delivery.datatype,
        changes.run_id,
        latest_delivery.unit_system,
        latest_delivery.unit,
        latest_delivery.measurement_flag,
        latest_delivery.quality_flag,
        latest_delivery.source_flag,
        latest_delivery.observation_time,
        latest_delivery.observation_value,
        latest_delivery.is_quality_ok,
        latest_delivery.observation_date,
        latest_delivery.row_hash,
        changes.first_seen_at,
        changes.last_changed_at,
        latest_delivery.ingested_at
    from latest_delivery
    inner join changes
        on latest_delivery.observation_id = changes.observation_id

)

select * from versioned
