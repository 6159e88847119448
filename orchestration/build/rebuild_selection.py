"""Which dbt models an incremental night runs: the models downstream of a raw source that got new rows, and
the models whose result depends on the watermark (the rebuild plan: which records, days and clients changed
since the last build), whatever their sources. Every other model reads only tables that are as the last build
left them, so its table is already what a run would make, and its tests would give the last build's results.

A night that brings only the weekly CRM exports skips the config and marketing staging and their tests
(about a quarter of the nodes); a month's ad spend alone skips the CRM staging too."""

WATERMARK_MACRO = "macro.membrana.build_watermark"
RAW_SOURCE = "source.membrana.raw."


def models_to_rebuild(manifest: dict, sources_with_new_rows: set[str]) -> set[str]:
    """The names of the models to run, given the raw sources (entities: contacts, ad_spend, …) that got rows
    loaded after the watermark."""
    models = {unique_id: node for unique_id, node in manifest["nodes"].items() if node["resource_type"] == "model"}
    downstream = set()
    for source in sources_with_new_rows:
        downstream |= descendants(manifest["child_map"], RAW_SOURCE + source)
    plan = {unique_id for unique_id, node in models.items()
            if WATERMARK_MACRO in macro_closure(manifest["macros"], node["depends_on"]["macros"])}
    return {models[unique_id]["name"] for unique_id in (downstream & set(models)) | plan}


def descendants(child_map: dict[str, list[str]], start: str) -> set[str]:
    found, stack = set(), [start]
    while stack:
        for child in child_map.get(stack.pop(), []):
            if child not in found:
                found.add(child)
                stack.append(child)
    return found


def macro_closure(macros: dict, called: list[str]) -> set[str]:
    """The macros called and every macro they call in turn."""
    found, stack = set(), list(called)
    while stack:
        macro = stack.pop()
        if macro not in found:
            found.add(macro)
            stack += macros.get(macro, {}).get("depends_on", {}).get("macros", [])
    return found


def dbt_selection(models: set[str], sources_with_new_rows: set[str]) -> list[str]:
    """dbt's --select for those models, and for the tests of the raw sources with new rows (each file's lines
    loaded once: a source's tests are selected with the source, not with the models that read it)."""
    return ["--select", *sorted(models), *(f"source:raw.{source}" for source in sorted(sources_with_new_rows))]
