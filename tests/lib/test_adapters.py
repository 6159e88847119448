"""Adapters: hand-made exports in each real format, loaded through the built-in mappings; the raw rows must
hold exactly the canonical text staging expects (ISO dates, dot decimals), with file and line, and a value
that does not fit its declared format must arrive unchanged so staging quarantines it."""

import gzip
import json
from datetime import datetime
from pathlib import Path

import duckdb
import openpyxl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from orchestration.ingest.entities import ENTITIES
from orchestration.ingest.landing import LandingError, load_entity_and_sources

LOADED_AT = datetime(2026, 11, 23, 3, 0)
NBSP = "\u00a0"


@pytest.fixture
def con():
    connection = duckdb.connect()
    yield connection
    connection.close()


@pytest.fixture
def data_dir(tmp_path):
    (tmp_path / "landing").mkdir()
    (tmp_path / "config" / "mappings").mkdir(parents=True)
    return tmp_path


def add_source(data_dir: Path, source: str, mapping: str, file_name: str, content: bytes) -> Path:
    (data_dir / "config" / "mappings" / f"{source}.yml").write_text(mapping, encoding="utf-8")
    folder = data_dir / "landing" / source
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / file_name
    path.write_bytes(content)
    return path


def load(con, data_dir: Path, entity: str):
    return load_entity_and_sources(con, entity, data_dir / "landing", data_dir / "config", LOADED_AT)


def raw(con, entity: str, columns: tuple[str, ...] | None = None) -> list[tuple]:
    selected = ", ".join(columns or ENTITIES[entity].columns)
    return con.execute(f"select {selected}, source_line from raw.{entity} order by source_file, source_line").fetchall()


def test_bitrix24_deals_in_windows_1251(con, data_dir):
    text = (
        "ID;Название сделки;Стадия сделки;Сумма;Валюта;Дата создания;Дата закрытия;Дата изменения;ID лида;Контакт\r\n"
        f"101;Окна;Сделка успешна;1{NBSP}234{NBSP}567,50;Российский рубль;05.03.2026 10:15:00;12.03.2026;"
        "12.03.2026 18:00:01;7;+7 (912) 000-11-22\r\n"
        "102;Двери;Подготовка документов;;Российский рубль;06.03.2026;;06.03.2026;;\r\n"
        "103;Кухня;Сделка провалена;2 000;Доллар США;31.02.2026;07.03.2026;07.03.2026;9;\r\n"
        "104;Балкон;Сделка успешна;12,5 руб;Российский рубль;07.03.2026;08.03.2026;08.03.2026;10;\r\n"
    )
    path = add_source(data_dir, "bitrix", "preset: bitrix24_deals\n", "deals.csv", text.encode("cp1251"))
    loads = load(con, data_dir, "deals")
    assert [(load.path, load.status, load.rows) for load in loads] == [(str(path), "loaded", 4)]
    assert loads[0].notes == (f"{path}: extra columns kept in raw.deals.extra_columns, not used: Название сделки",)
    assert raw(con, "deals") == [
        ("101", "7", "+7 (912) 000-11-22", "2026-03-05 10:15:00", "2026-03-12 00:00:00", "won", "1234567.50", "RUB",
         "2026-03-12 18:00:01", 2),
        ("102", None, None, "2026-03-06 00:00:00", None, "open", None, "RUB", "2026-03-06 00:00:00", 3),
        # 31 February is not a date and '12,5 руб' not a number: kept as they came, for staging to quarantine
        ("103", "9", None, "31.02.2026", "2026-03-07 00:00:00", "lost", "2000", "USD", "2026-03-07 00:00:00", 4),
        ("104", "10", None, "2026-03-07 00:00:00", "2026-03-08 00:00:00", "won", "12,5 руб", "RUB",
         "2026-03-08 00:00:00", 5),
    ]
    extra = con.execute("select extra_columns from raw.deals where deal_id = '101'").fetchone()[0]
    assert json.loads(extra) == {"Название сделки": "Окна"}


def test_amocrm_leads_in_utf8_with_bom(con, data_dir):
    text = (
        "ID;Название сделки;Этап сделки;Ответственный;Дата создания;Дата редактирования;"
        "Рабочий телефон (контакт);utm_source;utm_medium;utm_campaign\n"
        "5001;Заявка с сайта;Первичный контакт;m-17;01.11.2026 09:05;02.11.2026 11:00;+79120001122;"
        "yandex;cpc;okna_msk\n"
    )
    add_source(data_dir, "amo", "preset: amocrm_leads\n", "leads.csv", b"\xef\xbb\xbf" + text.encode("utf-8"))
    load(con, data_dir, "leads")
    assert raw(con, "leads") == [
        ("5001", "2026-11-01 09:05:00", "+79120001122", "yandex", "cpc", "okna_msk", "Первичный контакт", None, "m-17",
         "2026-11-02 11:00:00", 2),
    ]


def test_amocrm_deals_as_xlsx(con, data_dir):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["ID", "Этап сделки", "Бюджет ₽", "Дата создания", "Дата закрытия", "Дата редактирования"])
    # Excel keeps real dates and numbers; a hand-typed cell keeps the CRM's text
    sheet.append([7001, "Успешно реализовано", 150000.5, datetime(2026, 10, 1, 12, 30), datetime(2026, 10, 9),
                  "09.10.2026 17:45:00"])
    sheet.append([7002, "Переговоры", 90000, "02.10.2026", None, "02.10.2026"])
    sheet.append([None, None, None, None, None, None])  # a formatted but empty row is no record
    sheet.append([7003, "Закрыто и не реализовано", f"45{NBSP}000,00", "03.10.2026", "04.10.2026", "04.10.2026"])
    path = data_dir / "amo_deals.xlsx"
    workbook.save(path)
    add_source(data_dir, "amo_deals", "preset: amocrm_deals\n", "deals.xlsx", path.read_bytes())
    loads = load(con, data_dir, "deals")
    assert loads[0].rows == 3
    # the preset's optional columns this export lacks are said once, not guessed
    assert loads[0].notes[-1].endswith("mapped columns absent from the header, loaded empty: "
                                       "Рабочий телефон (контакт)")
    assert raw(con, "deals") == [
        # a real Excel date at midnight arrives as an ISO date, which staging reads as midnight
        ("7001", "7001", None, "2026-10-01 12:30:00", "2026-10-09", "won", "150000.5", "RUB",
         "2026-10-09 17:45:00", 2),
        ("7002", "7002", None, "2026-10-02 00:00:00", None, "open", "90000", "RUB", "2026-10-02 00:00:00", 3),
        ("7003", "7003", None, "2026-10-03 00:00:00", "2026-10-04 00:00:00", "lost", "45000.00", "RUB",
         "2026-10-04 00:00:00", 5),
    ]


def test_call_tracking_log_in_windows_1251(con, data_dir):
    text = (
        "ID звонка;Дата и время;Номер абонента;Пул номеров;Источник;Канал;Кампания;Длительность;Пропущенный\n"
        "c-1;14.11.2026 10:00:05;+7 912 000 11 22;Директ;yandex;cpc;okna;00:03:15;Нет\n"
        "c-2;14.11.2026 10:07:00;+7 912 000 33 44;Сайт;google;organic;;00:00:00;Да\n"
    )
    add_source(data_dir, "calls", "preset: calltracking\n", "calls.csv", text.encode("cp1251"))
    loads = load(con, data_dir, "contacts")
    kept = f"{loads[0].path}: extra columns kept in raw.contacts.extra_columns, not used: Пул номеров, Длительность"
    assert loads[0].notes == (kept,)
    assert raw(con, "contacts") == [
        ("c-1", "2026-11-14 10:00:05", "call", "yandex", "cpc", "okna", "+7 912 000 11 22", None, None, 2),
        ("c-2", "2026-11-14 10:07:00", "missed_call", "google", "organic", None, "+7 912 000 33 44", None, None, 3),
    ]
    extras = [json.loads(row[0]) for row in con.execute("select extra_columns from raw.contacts order by source_line")
              .fetchall()]
    assert extras == [{"Пул номеров": "Директ", "Длительность": "00:03:15"},
                      {"Пул номеров": "Сайт", "Длительность": "00:00:00"}]


def test_yandex_direct_report_without_its_totals_row(con, data_dir):
    text = (
        "Статистика по кампаниям (01.11.2026 - 02.11.2026)\n"
        "День;Кампания;Показы;Клики;Расход (руб.)\n"
        f"01.11.2026;okna_msk;12{NBSP}500;340;15{NBSP}230,75\n"
        "02.11.2026;okna_msk;9 800;211;9 870,10\n"
        f"Итого;;22{NBSP}300;551;25{NBSP}100,85\n"
    )
    path = add_source(data_dir, "direct", "preset: yandex_direct\n", "report.csv", text.encode("cp1251"))
    loads = load(con, data_dir, "ad_spend")
    assert (loads[0].rows, loads[0].notes) == (2, (f"{path}: 1 totals row(s) not counted",))
    assert raw(con, "ad_spend") == [
        ("2026-11-01", "yandex_direct", "okna_msk", "yandex", "cpc", "15230.75", "RUB", "12500", "340", 3),
        ("2026-11-02", "yandex_direct", "okna_msk", "yandex", "cpc", "9870.10", "RUB", "9800", "211", 4),
    ]


def test_vk_ads_report_as_xlsx_without_its_totals_row(con, data_dir):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["Дата", "Кампания", "Показы", "Клики", "Списания, ₽"])
    sheet.append(["10.11.2026", "vk_okna", 4000, 52, 1830.4])
    sheet.append(["11.11.2026", "vk_okna", 3500, 40, f"1{NBSP}210,00"])
    sheet.append(["Итого", None, 7500, 92, 3040.4])
    path = data_dir / "vk.xlsx"
    workbook.save(path)
    add_source(data_dir, "vk", "preset: vk_ads\n", "vk.xlsx", path.read_bytes())
    loads = load(con, data_dir, "ad_spend")
    assert loads[0].rows == 2 and loads[0].notes[-1].endswith("1 totals row(s) not counted")
    assert raw(con, "ad_spend") == [
        ("2026-11-10", "vk_ads", "vk_okna", "vk", "cpc", "1830.4", "RUB", "4000", "52", 2),
        ("2026-11-11", "vk_ads", "vk_okna", "vk", "cpc", "1210.00", "RUB", "3500", "40", 3),
    ]


def test_google_ads_report_without_its_total_rows(con, data_dir):
    text = (
        "Campaign report\n"
        "\"November 1, 2026 - November 2, 2026\"\n"
        "Day,Campaign,Currency code,Cost,Impr.,Clicks\n"
        "2026-11-01,Brand search,USD,\"1,204.50\",\"10,250\",310\n"
        "\"Nov 2, 2026\",Brand search,USD,99.90,870,25\n"
        "\"Total: Account\",,USD,\"1,304.40\",\"11,120\",335\n"
        "\"Total: Search\",,USD,\"1,304.40\",\"11,120\",335\n"
    )
    add_source(data_dir, "google", "preset: google_ads\n", "report.csv", text.encode("utf-8"))
    loads = load(con, data_dir, "ad_spend")
    assert (loads[0].rows, loads[0].notes[-1].endswith("2 totals row(s) not counted")) == (2, True)
    assert raw(con, "ad_spend") == [
        ("2026-11-01", "google_ads", "Brand search", "google", "cpc", "1204.50", "USD", "10250", "310", 4),
        ("2026-11-02", "google_ads", "Brand search", "google", "cpc", "99.90", "USD", "870", "25", 5),
    ]


def test_meta_ads_report_with_its_own_currency(con, data_dir):
    text = (
        "Reporting starts,Reporting ends,Campaign name,Amount spent (USD),Impressions,Link clicks\n"
        "2026-11-03,2026-11-03,Leads form,45.17,3020,61\n"
        "2026-11-03,2026-11-03,Total,45.17,3020,61\n"
    )
    # the account bills in euros: the source's own mapping overrides the preset's currency
    add_source(data_dir, "meta", "preset: meta_ads\nconstants: {currency: EUR}\n", "meta.csv", text.encode("utf-8"))
    load(con, data_dir, "ad_spend")
    assert raw(con, "ad_spend") == [
        ("2026-11-03", "meta_ads", "Leads form", "facebook", "paid_social", "45.17", "EUR", "3020", "61", 2),
    ]


FX_ROWS = [("2026-01-01", "USD", "90.5"), ("2026-01-02", "EUR", "99")]


def test_canonical_gzip_csv(con, data_dir):
    folder = data_dir / "landing" / "fx_rates"
    folder.mkdir()
    text = "date,currency,rate_to_base\n" + "".join(",".join(row) + "\n" for row in FX_ROWS)
    (folder / "rates.csv.gz").write_bytes(gzip.compress(text.encode()))
    load(con, data_dir, "fx_rates")
    assert raw(con, "fx_rates") == [(*FX_ROWS[0], 2), (*FX_ROWS[1], 3)]


def test_canonical_parquet_with_typed_columns(con, data_dir):
    folder = data_dir / "landing" / "fx_rates"
    folder.mkdir()
    table = pa.table({
        "date": pa.array([datetime(2026, 1, 1).date(), datetime(2026, 1, 2).date()]),
        "currency": ["USD", "EUR"],
        "rate_to_base": pa.array([90.5, 99.0]),
    })
    pq.write_table(table, folder / "rates.parquet")
    load(con, data_dir, "fx_rates")
    # typed values land as DuckDB's text of them, which staging parses
    assert raw(con, "fx_rates") == [("2026-01-01", "USD", "90.5", 1), ("2026-01-02", "EUR", "99.0", 2)]


def test_canonical_json_lines(con, data_dir):
    folder = data_dir / "landing" / "fx_rates"
    folder.mkdir()
    lines = [json.dumps(dict(zip(("date", "currency", "rate_to_base"), row))) for row in FX_ROWS]
    (folder / "rates.jsonl").write_text("\n".join(lines) + "\n")
    load(con, data_dir, "fx_rates")
    assert raw(con, "fx_rates") == [(*FX_ROWS[0], 1), (*FX_ROWS[1], 2)]


def test_canonical_xlsx(con, data_dir):
    folder = data_dir / "landing" / "fx_rates"
    folder.mkdir()
    workbook = openpyxl.Workbook()
    workbook.active.append(["date", "currency", "rate_to_base"])
    workbook.active.append([datetime(2026, 1, 1), "USD", 90.5])
    workbook.active.append(["2026-01-02", "EUR", 99])
    workbook.save(folder / "rates.xlsx")
    load(con, data_dir, "fx_rates")
    assert raw(con, "fx_rates") == [("2026-01-01", "USD", "90.5", 2), ("2026-01-02", "EUR", "99", 3)]


# --- schema drift and mapping mistakes: one line naming the file and what to fix ---------------------------

def test_a_mapped_export_without_a_required_column_is_rejected_whole(con, data_dir):
    text = "День;Кампания;Показы;Клики\n01.11.2026;okna;10;1\n"
    path = add_source(data_dir, "direct", "preset: yandex_direct\nread: {skip_lines: 0}\n", "r.csv",
                      text.encode("utf-8"))
    with pytest.raises(LandingError) as error:
        load(con, data_dir, "ad_spend")
    assert str(error.value) == (
        f"{path}: required column 'Расход (руб.)' (ad_spend.cost) missing from the header; export it or change "
        f"{data_dir}/config/mappings/direct.yml (preset yandex_direct)"
    )
    assert con.execute("select count(*) from raw.ad_spend").fetchone()[0] == 0


def test_a_canonical_file_without_a_required_column_is_rejected_whole(con, data_dir):
    folder = data_dir / "landing" / "contacts"
    folder.mkdir()
    (folder / "c.csv").write_text("contact_id,source\nc1,web\n")
    with pytest.raises(LandingError) as error:
        load(con, data_dir, "contacts")
    assert str(error.value) == (f"{folder / 'c.csv'}: required column received_at missing from the header "
                                "(a contacts file needs contact_id, received_at, source)")


def test_extra_columns_are_kept_and_reported_once(con, data_dir):
    folder = data_dir / "landing" / "fx_rates"
    folder.mkdir()
    (folder / "r.csv").write_text("date,currency,rate_to_base,bank\n2026-01-01,USD,90.5,CBR\n")
    first = load(con, data_dir, "fx_rates")
    again = load(con, data_dir, "fx_rates")
    assert first[0].notes == (f"{folder / 'r.csv'}: extra columns kept in raw.fx_rates.extra_columns, not used: bank",)
    assert (again[0].status, again[0].notes) == ("unchanged", ())
    assert con.execute("select extra_columns from raw.fx_rates").fetchall() == [('{"bank":"CBR"}',)]


def test_a_landing_folder_without_a_mapping_is_an_error(con, data_dir):
    (data_dir / "landing" / "bitrix").mkdir()
    with pytest.raises(LandingError) as error:
        load(con, data_dir, "deals")
    assert str(error.value) == (
        f"{data_dir / 'landing' / 'bitrix'}: not an entity folder (contacts, leads, meetings, deals, ad_spend, costs, "
        f"fx_rates) and no mapping {data_dir / 'config' / 'mappings' / 'bitrix.yml'}; add one (see docs/adapters.md)"
    )


def test_a_dateless_report_must_be_dated_by_its_mapping(con, data_dir):
    add_source(data_dir, "fb", "preset: facebook_kag_conversion\n", "fb.csv", b"Spent\n1\n")
    with pytest.raises(LandingError) as error:
        load(con, data_dir, "ad_spend")
    assert str(error.value) == (f"{data_dir / 'config' / 'mappings' / 'fb.yml'}: required ad_spend column date has "
                                "no export column or constant; add it under columns: or constants:")


def test_an_unknown_preset_names_the_built_in_ones(con, data_dir):
    add_source(data_dir, "crm", "preset: bitrix\n", "d.csv", b"")
    with pytest.raises(LandingError, match=r"crm.yml: preset 'bitrix' does not exist \(built-in presets: amocrm_deals,"):
        load(con, data_dir, "deals")


def test_a_windows_1251_file_declared_utf8_says_to_set_the_encoding(con, data_dir):
    text = "ID звонка;Дата и время;Источник\nc-1;14.11.2026;yandex\n"
    path = add_source(data_dir, "calls", "preset: calltracking\nread: {encoding: utf-8}\n", "calls.csv",
                      text.encode("cp1251"))
    with pytest.raises(LandingError) as error:
        load(con, data_dir, "contacts")
    assert str(error.value) == (f"{path}: is not UTF-8; set read.encoding: cp1251 (or auto) in "
                                f"{data_dir}/config/mappings/calls.yml (preset calltracking)")


def test_a_changed_mapping_reloads_the_files_of_its_source(con, data_dir):
    text = "День;Кампания;Показы;Клики;Расход (руб.)\n01.11.2026;okna;10;1;100,50\n"
    add_source(data_dir, "direct", "preset: yandex_direct\nread: {skip_lines: 0}\n", "r.csv", text.encode("utf-8"))
    assert [load.status for load in load(con, data_dir, "ad_spend")] == ["loaded"]
    assert [load.status for load in load(con, data_dir, "ad_spend")] == ["unchanged"]
    mapping = data_dir / "config" / "mappings" / "direct.yml"
    mapping.write_text(mapping.read_text() + "constants: {currency: KZT}\n")
    assert [load.status for load in load(con, data_dir, "ad_spend")] == ["replaced"]
    assert con.execute("select currency, cost, source_line from raw.ad_spend").fetchall() == [("KZT", "100.50", 2)]


def test_a_malformed_line_is_named_with_what_to_fix(con, data_dir):
    text = "Отчёт\nДень;Кампания;Показы;Клики;Расход (руб.)\n01.11.2026;okna;10;1;100,50\n02.11.2026;ok;na;10;1;7,00\n"
    path = add_source(data_dir, "direct", "preset: yandex_direct\n", "r.csv", text.encode("cp1251"))
    with pytest.raises(LandingError) as error:
        load(con, data_dir, "ad_spend")
    assert str(error.value) == (f"{path} line 4: 6 fields where the header has 5; quote values that contain ';' or "
                                f"fix read.delimiter in {data_dir}/config/mappings/direct.yml (preset yandex_direct)")
    # the whole file is refused: nothing of it stays in raw or in the manifest
    assert con.execute("select count(*) from raw.ad_spend").fetchone()[0] == 0
    assert con.execute("select count(*) from audit.load_manifest").fetchone()[0] == 0


def test_google_ads_excel_csv_in_utf16_with_tabs(con, data_dir):
    # Google Ads' "Excel .csv" download: UTF-16 with a BOM, tab-separated
    text = (
        "Campaign report\n2026-11-01 - 2026-11-01\nDay\tCampaign\tCurrency code\tCost\tImpr.\tClicks\n"
        "2026-11-01\tБренд\tRUB\t2,500.00\t1,000\t40\nTotal: Account\t\tRUB\t2,500.00\t1,000\t40\n"
    )
    mapping = 'preset: google_ads\nread: {encoding: utf-16, delimiter: "\\t"}\n'
    add_source(data_dir, "google", mapping, "report.csv", text.encode("utf-16"))
    load(con, data_dir, "ad_spend")
    assert raw(con, "ad_spend") == [
        ("2026-11-01", "google_ads", "Бренд", "google", "cpc", "2500.00", "RUB", "1000", "40", 4),
    ]


def test_utf8_exports_of_a_source_load_in_bulk_each_with_its_own_lines(con, data_dir):
    # no totals rows and no transcoding: the source's files are read in one statement; each keeps its lines
    mapping = (
        "entity: fx_rates\nread: {delimiter: ';', skip_lines: 1}\n"
        "columns: {date: День, currency: Валюта, rate_to_base: Курс}\nformats: {dates: '%d.%m.%Y', decimal: ','}\n"
    )
    first = add_source(data_dir, "cbr", mapping, "a.csv",
                       "Курсы ЦБ\nДень;Валюта;Курс\n01.01.2026;USD;90,5\n02.01.2026;USD;91\n".encode())
    second = first.with_name("b.csv")
    second.write_text("Курсы ЦБ\nВалюта;День;Курс;Банк\nEUR;03.01.2026;99,25;ЦБ\n", encoding="utf-8")
    loads = load(con, data_dir, "fx_rates")
    assert [(load.path, load.rows) for load in loads] == [(str(first), 2), (str(second), 1)]
    assert con.execute(
        "select source_file, source_line, date, currency, rate_to_base, extra_columns from raw.fx_rates "
        "order by source_file, source_line"
    ).fetchall() == [
        (str(first), 3, "2026-01-01", "USD", "90.5", None),
        (str(first), 4, "2026-01-02", "USD", "91", None),
        (str(second), 3, "2026-01-03", "EUR", "99.25", '{"Банк":"ЦБ"}'),
    ]
