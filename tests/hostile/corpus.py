"""A corpus of hostile import files, generated in code (nothing binary in the repository).

Each entry: (name, kind, file bytes, expected exit code of `coachbot import`, text the error
must contain). Exit 2 = the file as a whole refused, 1 = rows rejected (nothing stored).
Limits are lowered for the run (see LIMIT_ENV) so the size cases stay small.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable

LIMIT_ENV = {"COACHBOT_IMPORT_MAX_ROWS": "1000", "COACHBOT_IMPORT_MAX_FILE_BYTES": "3000000"}
CALLS_HEAD = "通话编号,案件编号,开始时间,通话时长,通话结果\n"
GOOD = "A1,K1,2026-03-02 09:15,95,rpc\n"


def _xlsx(rows: list[list[object]]) -> bytes:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    for r in rows:
        ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _patch_zip(
    data: bytes, member: str, fn: Callable[[bytes], bytes], extra: dict[str, bytes]
) -> bytes:
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for info in src.infolist():
            body = src.read(info.filename)
            z.writestr(info.filename, fn(body) if info.filename == member else body)
        for name, body in extra.items():
            z.writestr(name, body)
    return out.getvalue()


def calls_xlsx() -> bytes:
    return _xlsx(
        [
            ["通话编号", "案件编号", "开始时间", "通话时长", "通话结果"],
            ["A1", "K1", "2026-03-02 09:15", 95, "rpc"],
        ]
    )


def inflated_dimension() -> bytes:
    return _patch_zip(
        calls_xlsx(),
        "xl/worksheets/sheet1.xml",
        lambda b: b.replace(b'<dimension ref="A1:E2"', b'<dimension ref="A1:XFD1048576"'),
        {},
    )


def zip_bomb() -> bytes:
    return _patch_zip(calls_xlsx(), "", lambda b: b, {"xl/media/pad.bin": b"\0" * 30_000_000})


_LOL = b"".join(
    b'<!ENTITY lol%d "%s">' % (i, b"".join(b"&lol%d;" % (i - 1) for _ in range(10)))
    for i in range(1, 10)
)
BILLION_LAUGHS = b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol0 "lol">' + _LOL + b"]>"


def billion_laughs() -> bytes:
    def patch(b: bytes) -> bytes:
        return BILLION_LAUGHS + b[b.index(b"<worksheet") :].replace(b"<t>A1</t>", b"<t>&lol9;</t>")

    return _patch_zip(calls_xlsx(), "xl/worksheets/sheet1.xml", patch, {})


def csv(*lines: str, head: str = CALLS_HEAD, enc: str = "utf-8") -> bytes:
    return (head + "".join(lines)).encode(enc)


EMP_HEAD = "employee_no,name,branch,roles,hire_date\n"


def corpus() -> list[tuple[str, str, bytes, int, str]]:
    deep = b"[" * 200_000 + b"]" * 200_000
    return [
        ("nul.csv", "calls", csv("A\x001,K1,2026-03-02 09:15,95,rpc\n"), 2, "nul.csv:2:2"),
        (
            "nul_gbk.csv",
            "calls",
            csv("A1,K1,2026-03-02 09:15,95,未接通\x00\n", enc="gbk"),
            2,
            "NUL",
        ),
        ("year1.csv", "calls", csv("A1,K1,0001-01-01 00:00,95,rpc\n"), 1, "year1.csv:2"),
        ("year9999.csv", "calls", csv("A1,K1,9999-12-31 23:59:59,95,rpc\n"), 1, "1900–2100"),
        (
            "year9999_offset.csv",
            "calls",
            csv("A1,K1,9999-12-31 23:59-08:00,95,rpc\n"),
            1,
            "started_at",
        ),
        ("feb30.csv", "calls", csv("A1,K1,2026-02-30 09:00,95,rpc\n"), 1, "feb30.csv:2"),
        (
            "huge_int.csv",
            "calls",
            csv("A1,K1,2026-03-02 09:15,99999999999999999999999,rpc\n"),
            1,
            "duration_s",
        ),
        ("deep.json", "calls", deep, 2, "nested too deeply"),
        (
            "nested.json",
            "calls",
            json.dumps([{"call_ref": {"x": [1, [2]]}}]).encode(),
            2,
            "record 1, field 'call_ref'",
        ),
        ("nan.json", "calls", b'[{"call_ref": "A1", "duration_s": NaN}]', 2, "not a number"),
        ("bigint.json", "calls", b'[{"call_ref": ' + b"9" * 5000 + b"}]", 2, "bigint.json"),
        ("scalar.json", "calls", b'"calls"', 2, "expected a JSON array"),
        ("broken.json", "calls", b'[{"call_ref": "A1",', 2, "broken.json:1:"),
        ("latin1.json", "calls", '[{"call_ref": "é"}]'.encode("latin-1"), 2, "must be UTF-8"),
        (
            "bom_gbk.csv",
            "calls",
            b"\xef\xbb\xbf"
            + CALLS_HEAD.encode()
            + "A1,K1,2026-03-02 09:15,95,未接通\n".encode("gbk"),
            2,
            "bom_gbk.csv:2:",
        ),
        (
            "utf8_one_gbk_line.csv",
            "employees",
            EMP_HEAD.encode()
            + "C0101,王小明,SH,collector,2025-01-06\n".encode()
            + "C0102,李秀英,SH,collector,2025-01-06\n".encode("gbk")
            + "C0103,张伟,SH,collector,2025-01-06\n".encode(),
            2,
            "utf8_one_gbk_line.csv:3:",
        ),
        ("utf16_no_bom.csv", "calls", csv(GOOD, enc="utf-16-le"), 2, "NUL"),
        ("binary.csv", "calls", bytes(range(256)) * 40, 2, "binary.csv"),
        ("empty.csv", "calls", b"", 2, "empty"),
        ("header_only_bad.csv", "calls", b"foo,bar\n1,2\n", 2, "missing required column"),
        (
            "wide.csv",
            "calls",
            (",".join(f"c{i}" for i in range(300)) + "\n").encode(),
            2,
            "300 columns",
        ),
        (
            "long_cell.csv",
            "calls",
            csv(f"A1,K1,2026-03-02 09:15,95,{'x' * 20_000}\n"),
            2,
            "long_cell.csv:2:5",
        ),
        ("long_header.csv", "calls", ("x" * 5000 + "\n").encode(), 2, "long_header.csv:1"),
        ("huge_field.csv", "calls", csv('A1,"' + "y" * 200_000 + "\n"), 2, "huge_field.csv"),
        (
            "many_rows.csv",
            "calls",
            csv(*(f"R{i},K1,2026-03-02 09:15,95,rpc\n" for i in range(1200))),
            2,
            "more than 1,000 rows",
        ),
        (
            "too_big.csv",
            "calls",
            csv("A1,K1,2026-03-02 09:15,95,rpc\n" * 110_000),
            2,
            "import limit",
        ),
        ("blank_lines.csv", "calls", csv(",,,,\n" * 2500), 2, "2,500 lines"),
        ("inflated.xlsx", "calls", inflated_dimension(), 2, "XFD1048576"),
        ("bomb.xlsx", "calls", zip_bomb(), 2, "zip bomb"),
        ("laughs.xlsx", "calls", billion_laughs(), 2, "amplification"),
        ("fake.xlsx", "calls", b"PK\x03\x04" + b"\x00" * 100, 2, "not a readable XLSX"),
        ("truncated.xlsx", "calls", calls_xlsx()[:700], 2, "truncated.xlsx"),
    ]
