{% macro row_hash(columns) -%}
    {#-
        The change-detection hash of a row: md5, as 32 lowercase hex digits,
        of its business columns (SQL expressions, in a fixed order) rendered
        as text. Each value becomes "<length>:<text>" and a null "~", joined
        by ",": a null differs from an empty string, and no value can pass
        for two (a comma inside a value is counted by its length). Pass run
        ids, load times and file names never: they change with every
        delivery. Text must be the same on every target, so wrap doubles in
        hash_double() and timestamps with time zone in hash_timestamp();
        strings, integers, decimals, dates and booleans cast alike.
    -#}
    {%- set fields = [] -%}
    {%- for column in columns -%}
        {%- do fields.append(hash_field(column)) -%}
    {%- endfor -%}
    {{ md5_hex(fields | join(" || ',' || ")) }}
{%- endmacro %}


{% macro hash_field(expression) -%}
    {#- Null-safe: `||` with a null is null on both targets, so a null value falls through to "~". -#}
    coalesce(
        cast(length(cast({{ expression }} as varchar)) as varchar)
        || ':' || cast({{ expression }} as varchar),
        '~'
    )
{%- endmacro %}


{% macro md5_hex(text) -%}
    {{ return(adapter.dispatch('md5_hex', 'tributary')(text)) }}
{%- endmacro %}


{% macro default__md5_hex(text) -%}
    {#- DuckDB: md5 of the UTF-8 bytes, already lowercase hex. -#}
    md5({{ text }})
{%- endmacro %}


{% macro trino__md5_hex(text) -%}
    {#- Trino hashes varbinary and prints uppercase hex. -#}
    lower(to_hex(md5(to_utf8({{ text }}))))
{%- endmacro %}


{% macro hash_double(expression) -%}
    {#-
        The same text for a double on every target: its shortest round-trip
        digits as a decimal with 12 places, rounded half up. Both targets
        print those digits when casting to varchar (DuckDB "1e+20", Trino
        "1.0E20") and read either notation back as a decimal the same way,
        so both give "100000000000000000000.000000000000". A direct double to
        decimal cast would not: DuckDB scales the binary value. Beyond
        decimal(38, 12) (|x| >= 1e26, NaN, infinities): the target's text.
    -#}
    {{ return(adapter.dispatch('hash_double', 'tributary')(expression)) }}
{%- endmacro %}


{% macro default__hash_double(expression) -%}
    {#-
        DuckDB parses text into decimal(38, 12) slowly (3 us a value: two
        thirds of a silver build of 2 M rows). A value it prints plainly with
        at most 12 decimals is that decimal's text already, but for the
        zeros: pad it. Only zero (which may print "-0.0") and every other
        value take the exact path; the text is the same either way
        (tests/dbt/test_row_hash.py compares them).
    -#}
    case
        when regexp_full_match(cast({{ expression }} as varchar), '-?[0-9]{1,26}[.][0-9]{1,12}')
            and {{ expression }} <> 0
            then cast({{ expression }} as varchar) || repeat(
                '0',
                12 - length(cast({{ expression }} as varchar))
                + strpos(cast({{ expression }} as varchar), '.')
            )
        else {{ hash_double_exact(expression) }}
    end
{%- endmacro %}


{% macro trino__hash_double(expression) -%}
    {{ hash_double_exact(expression) }}
{%- endmacro %}


{% macro hash_double_exact(expression) -%}
    {#- The definition: the shortest digits read back as decimal(38, 12), else the target's text. -#}
    coalesce(
        cast(try_cast(cast({{ expression }} as varchar) as decimal(38, 12)) as varchar),
        cast({{ expression }} as varchar)
    )
{%- endmacro %}


{% macro hash_timestamp(expression) -%}
    {{ return(adapter.dispatch('hash_timestamp', 'tributary')(expression)) }}
{%- endmacro %}


{% macro default__hash_timestamp(expression) -%}
    {#- Epoch milliseconds: the targets print timestamps differently, but not integers. -#}
    epoch_ms({{ expression }})
{%- endmacro %}


{% macro trino__hash_timestamp(expression) -%}
    date_diff('millisecond', from_unixtime(0), {{ expression }})
{%- endmacro %}
