"""Real-looking Russian exports through their presets and the whole pipeline: what reaches the marts, what is
quarantined (a value off its declared format, with its file and line), and what a user sees when an export
does not fit its mapping — one line naming the file, the line and what to fix, no traceback."""

from datetime import datetime
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from tests.support.marts import published_rows
from tests.support.membrana import run_membrana


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


NBSP = "\u00a0"


def xlsx_bytes(rows: list[list], path: Path) -> bytes:
    workbook = openpyxl.Workbook()
    for row in rows:
        workbook.active.append(row)
    workbook.save(path)
    return path.read_bytes()


@pytest.fixture(scope="module")
def russian_company(tmp_path_factory):
    """A small company's real-looking exports: a call-tracking log and a Bitrix24 deals export in Windows-1251,
    amoCRM leads as XLSX, a Yandex Direct report with its totals row; each through its preset."""
    data_dir = tmp_path_factory.mktemp("russian_company")
    exports = {
        ("calls", "calltracking", "calls.csv"): (
            "ID звонка;Дата и время;Номер абонента;Пул номеров;Источник;Канал;Кампания;Длительность;Пропущенный\n"
            "c-1;14.11.2026 10:00:05;+79120001122;Директ;yandex;cpc;okna;00:03:15;Нет\n"
            "c-2;14.11.2026 10:07:00;+79120003344;Директ;yandex;cpc;okna;00:00:00;Да\n"
            "c-3;14/11/2026 11:00;+79120005566;Директ;yandex;cpc;okna;00:01:00;Нет\n"
        ).encode("cp1251"),
        ("bitrix", "bitrix24_deals", "deals.csv"): (
            "ID;Стадия сделки;Сумма;Валюта;Дата создания;Дата закрытия;Дата изменения;ID лида\n"
            f"d-1;Сделка успешна;150{NBSP}000,00;Российский рубль;16.11.2026;20.11.2026 15:30:00;20.11.2026;L-1\n"
            "d-2;В работе;;Российский рубль;31.02.2026;;31.02.2026;L-2\n"
        ).encode("cp1251"),
        ("direct", "yandex_direct", "report.csv"): (
            "Статистика по кампаниям (14.11.2026 - 15.11.2026)\n"
            "День;Кампания;Показы;Клики;Расход (руб.)\n"
            f"14.11.2026;okna;12{NBSP}500;340;1{NBSP}500,50\n"
            f"15.11.2026;okna;9{NBSP}800;211;2{NBSP}000,00\n"
            f"Итого;;22{NBSP}300;551;3{NBSP}500,50\n"
        ).encode("cp1251"),
        ("amo", "amocrm_leads", "leads.xlsx"): xlsx_bytes([
            ["ID", "Этап сделки", "Дата создания", "Дата редактирования", "utm_source", "utm_medium", "utm_campaign"],
            ["L-1", "Первичный контакт", "14.11.2026 10:05", "14.11.2026 10:05", "yandex", "cpc", "okna"],
            ["L-2", "Первичный контакт", datetime(2026, 11, 15, 9, 0), None, "google", "cpc", "brand"],
        ], data_dir / "scratch.xlsx"),
    }
    for (source, preset, name), content in exports.items():
        (data_dir / "config" / "mappings").mkdir(parents=True, exist_ok=True)
        (data_dir / "config" / "mappings" / f"{source}.yml").write_text(f"preset: {preset}\n")
        (data_dir / "landing" / source).mkdir(parents=True)
        (data_dir / "landing" / source / name).write_bytes(content)
    (data_dir / "scratch.xlsx").unlink()
    result = run_membrana("run", data_dir=data_dir)
    assert result.returncode == 0, result.stderr
    return data_dir


def test_russian_exports_reach_the_marts(russian_company):
    funnel = published_rows(russian_company, "funnel_daily")
    # yandex% and google% are online_ads in the default channel rules
    assert {(str(r["date"]), r["channel"]) for r in funnel} <= {(f"2026-11-{day}", "online_ads") for day in range(1, 31)}
    by_day = {str(r["date"]): r for r in funnel}
    assert {day: row["fixed_leads"] for day, row in by_day.items() if row["fixed_leads"]} == {"2026-11-14": 1,
                                                                                              "2026-11-15": 1}
    # the totals row (3 500,50) is not spend a second time
    assert {day: Decimal(str(row["ad_spend"])) for day, row in by_day.items() if row["ad_spend"]} == {
        "2026-11-14": Decimal("1500.50"), "2026-11-15": Decimal("2000.00")}
    assert {day: (row["deals_won"], Decimal(str(row["revenue"]))) for day, row in by_day.items()
            if row["deals_won"]} == {"2026-11-20": (1, Decimal("150000.00"))}


def test_values_off_their_declared_format_are_quarantined_with_file_and_line(russian_company):
    quarantine = published_rows(russian_company, "audit.quarantine")
    assert sorted((r["entity"], Path(r["source_file"]).name, r["line_number"], r["reason"]) for r in quarantine) == [
        ("contacts", "calls.csv", 4, "received_at is not a timestamp"),
        ("deals", "deals.csv", 3, "created_at is not a timestamp"),
    ]
