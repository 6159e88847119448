"""The project's generic test not_null_columns (dbt_project/tests/generic): one test per model for all of its
required columns. On a copy of the built demo's warehouse it passes; with NULLs written into two of a staging
model's columns it fails with their NULL rows counted, and its failing rows name the two columns."""

import json
import shutil

import duckdb

from tests.support.membrana import failure, run_dbt

TEST_SELECTION = "test_name:not_null_columns,stg_crm__contacts"


def not_null_columns_results(data_dir, target):
    result = run_dbt("test", "--select", TEST_SELECTION, "--store-failures", data_dir=data_dir, target_path=target,
                     env={"MEMBRANA_WAREHOUSE": None})
    results = json.loads((target / "run_results.json").read_text())["results"]
    return result, [r for r in results if r["unique_id"].startswith("test.membrana.not_null_columns_")]


def test_nulls_in_two_required_columns_fail_with_their_rows_counted(built_demo, tmp_path):
    shutil.copyfile(built_demo.data_dir / "warehouse.duckdb", tmp_path / "warehouse.duckdb")
    clean, [passed] = not_null_columns_results(tmp_path, tmp_path / "clean")
    assert clean.returncode == 0 and passed["status"] == "pass", failure(clean)

    with duckdb.connect(str(tmp_path / "warehouse.duckdb")) as con:
        ids = [row[0] for row in con.execute(
            "select contact_id from staging.stg_crm__contacts order by contact_id limit 5").fetchall()]
        con.execute(f"update staging.stg_crm__contacts set channel = null where contact_id in {tuple(ids[:3])}")
        con.execute(f"update staging.stg_crm__contacts set received_at = null where contact_id in {tuple(ids[1:])}")
    broken, [failed] = not_null_columns_results(tmp_path, tmp_path / "broken")
    assert broken.returncode != 0
    assert failed["status"] == "fail" and failed["failures"] == 3 + 4, failed

    with duckdb.connect(str(tmp_path / "warehouse.duckdb"), read_only=True) as con:
        relation = failed["relation_name"]
        named = dict(con.execute(f"select column_name, null_rows from {relation}").fetchall())
    assert named == {"channel": 3, "received_at": 4}
