"""What a user sees when an export does not fit its mapping: `membrana run` exits non-zero with one line
naming the file, the line and what to fix — no traceback."""

from conftest import run_membrana


def test_a_malformed_export_is_one_line_naming_file_line_and_fix(tmp_path):
    (tmp_path / "config" / "mappings").mkdir(parents=True)
    (tmp_path / "config" / "mappings" / "direct.yml").write_text("preset: yandex_direct\n")
    (tmp_path / "landing" / "direct").mkdir(parents=True)
    export = tmp_path / "landing" / "direct" / "report.csv"
    # a campaign name with an unquoted semicolon in a Windows-1251 Yandex Direct report
    export.write_bytes("Отчёт\nДень;Кампания;Показы;Клики;Расход (руб.)\n01.11.2026;окна;двери;10;1;100,50\n"
                       .encode("cp1251"))
    result = run_membrana("run", data_dir=tmp_path)
    assert result.returncode != 0
    assert result.stderr == (
        f"membrana: nightly run failed: raw__ad_spend: {export} line 3: 6 fields where the header has 5; quote "
        f"values that contain ';' or fix read.delimiter in {tmp_path}/config/mappings/direct.yml (preset yandex_direct)\n"
    )
