{# Schemas are named exactly as configured (staging, intermediate, marts, audit): analysts and BI
   rely on `marts.kpi_monthly`, not on a target-prefixed name. #}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}{{ target.schema }}{%- else -%}{{ custom_schema_name | trim }}{%- endif -%}
{%- endmacro %}
