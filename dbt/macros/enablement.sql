{% macro enabled_sources() -%}
    {#-
        The pipeline's enabled sources: the tributary_sources var, a list
        (dbt_project.yml holds the default; the dbt stage passes the
        configuration's enabled sources with --vars) or a comma-separated
        string (what sqlfluff's dbt templater can pass, see .sqlfluff).
    -#}
    {%- set sources = var('tributary_sources') -%}
    {%- if sources is string -%}
        {%- set sources = sources.split(',') | map('trim') | reject('equalto', '') | list -%}
    {%- endif -%}
    {{- return(sources) -}}
{%- endmacro %}


{% macro source_enabled(source_name) -%}
    {#-
        Whether a pipeline source is enabled (enabled_sources()). Models call
        it in their config(enabled=...), and every staging model is enabled
        with the source it reads (bronze_source()), so a source that is off
        never breaks the build. It is a macro rather than a +enabled expression in
        dbt_project.yml because that file is rendered before its own vars
        exist (each expression would repeat the default).
    -#}
    {{- return(source_name in enabled_sources()) -}}
{%- endmacro %}


{% macro observation_sources() -%}
    {#-
        The enabled sources whose observations the economics marts union, in
        the order of the observation_sources var: each has a conformed
        intermediate model, int_<source>__observations_conformed.
    -#}
    {{- return(var('observation_sources') | select('in', enabled_sources()) | list) -}}
{%- endmacro %}


{% macro economics_enabled() -%}
    {#-
        Whether the economics marts are built: when an observation source
        other than the World Bank is enabled (the World Bank alone has its
        own mart, dim_macro_indicators; its figures join the others).
    -#}
    {{- return(observation_sources() | reject('equalto', 'worldbank') | list | length > 0) -}}
{%- endmacro %}
