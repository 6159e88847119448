{# Each line of a landing file is in the raw table once: loading the same file twice changes nothing
   (CONTRACT.md). A night checks the files it loaded rows of, every line of them: a line loaded twice
   has a copy loaded after the last build (whose test passed), so its file is among them. A full build
   checks every file. #}
{% test one_row_per_file_line(model) %}

with

files_to_check as (
    select distinct source_file from {{ model }}
    {%- if membrana.build_watermark() %}
    where loaded_at > {{ membrana.loaded_after() }}
    {%- endif %}
)

select source_file, source_line, count(*) as copies
from {{ model }}
where source_file in (select source_file from files_to_check)
group by source_file, source_line
having count(*) > 1

{% endtest %}
