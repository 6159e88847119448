{# On Spark the raw and config sources are views over the Parquet files that membrana writes from the
   loaded raw layer (orchestration/build/raw_parquet.py): <location>/<schema>/<table>/. The location is
   $MEMBRANA_RAW_PARQUET_URI (a cluster path: s3a://…, hdfs://…, dbfs:/…), else the data folder's
   raw_parquet/. DuckDB reads its own raw schema, so nothing happens there. Runs on every dbt start. #}
{% macro register_parquet_sources() -%}
    {%- if execute and target.type == 'spark' -%}
        {%- set location = env_var('MEMBRANA_RAW_PARQUET_URI',
                                   env_var('MEMBRANA_DATA_DIR', '../data/demo') ~ '/raw_parquet') -%}
        {%- set schemas = [] -%}
        {%- for source in graph.sources.values() | sort(attribute='unique_id') -%}
            {%- if source.schema not in schemas -%}
                {%- do schemas.append(source.schema) -%}
                {%- do run_query('create schema if not exists ' ~ source.schema) -%}
            {%- endif -%}
            {%- do run_query(
                'create or replace view ' ~ source.schema ~ '.' ~ source.identifier
                ~ ' as select * from parquet.`' ~ location ~ '/' ~ source.schema ~ '/' ~ source.identifier ~ '`'
            ) -%}
        {%- endfor -%}
    {%- endif -%}
{%- endmacro %}
