"""File imports: encodings, Chinese headers, XLSX, validation, all-or-nothing, idempotence."""

from __future__ import annotations

import csv
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

from openpyxl import Workbook
from sqlalchemy import select

from bot.context import AppContext
from coaching.privacy import debtor_key
from db.models import (
    Call,
    Case,
    Complaint,
    Employee,
    Leave,
    PromiseToPay,
    QaFinding,
    Repayment,
)
from tests.ingest_helpers import (
    ID_1,
    PHONE_2,
    count,
    rows,
    run,
    seed_cases,
    world,
    write,
)

CALLS_ZH = (
    "通话编号,案件编号,开始时间,通话时长,通话结果\n"
    "A1,K1,2026-03-02 09:15,95,本人接通\n"
    "A2,K1,2026-03-02 10:00:30,0,未接通\n"
    "B1,K2,2026-03-02T09:00:00+07:00,40,承诺还款\n"
)


def test_gbk_csv_with_chinese_headers(ctx: AppContext, tmp_path: Path) -> None:
    world(ctx)
    seed_cases(ctx, tmp_path)
    rep = run(ctx, "calls", write(tmp_path / "calls.csv", CALLS_ZH, "gbk"))
    assert rep.ok, rep.errors
    assert rep.encoding == "gb18030"
    assert (rep.inserted, rep.updated, rep.unchanged) == (3, 0, 0)

    def check(s):
        k1 = s.execute(select(Case).where(Case.case_ref == "K1")).scalar_one()
        assert k1.amount_owed == Decimal("12500.00")
        assert k1.bucket == "M2" and k1.is_instalment and k1.product == "信用卡"
        # The ID number wins over the phone and the name for the debtor key.
        assert k1.debtor_key == debtor_key(ctx.settings.pii_hmac_key, ID_1)
        k2 = s.execute(select(Case).where(Case.case_ref == "K2")).scalar_one()
        assert k2.debtor_key == debtor_key(ctx.settings.pii_hmac_key, PHONE_2)
        assert k2.bucket == "M6+"
        calls = {c.call_ref: c for c in s.execute(select(Call)).scalars()}
        # 09:15 in Shanghai is 01:15 UTC; the collector defaults to the case's.
        assert calls["A1"].started_at == datetime(2026, 3, 2, 1, 15, tzinfo=UTC)
        assert calls["A1"].outcome == "rpc" and calls["A1"].duration_s == 95
        assert calls["A1"].collector_id == k1.collector_id
        assert calls["A1"].debtor_key == k1.debtor_key
        assert calls["A2"].outcome == "no_answer"
        assert calls["B1"].started_at == datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
        assert calls["B1"].outcome == "promise"

    ctx.call(check)


def test_utf8_bom_csv(ctx: AppContext, tmp_path: Path) -> None:
    world(ctx)
    seed_cases(ctx, tmp_path)
    rep = run(ctx, "calls", write(tmp_path / "c.csv", "\ufeff" + CALLS_ZH, "utf-8"))
    assert rep.ok and rep.encoding == "utf-8-sig" and rep.inserted == 3


def test_xlsx_import(ctx: AppContext, tmp_path: Path) -> None:
    world(ctx)
    seed_cases(ctx, tmp_path)
    wb = Workbook()
    ws = wb.active
    ws.append(["回款编号", "案件编号", "回款金额", "回款时间"])
    ws.append(["P1", "K1", 1500.5, datetime(2026, 3, 2, 14, 30)])
    ws.append([10023, "K2", 200, "2026-03-02 23:30"])  # numeric ref as Excel stores it
    ws.append([None, None, None, None])  # empty rows are skipped
    path = tmp_path / "pay.xlsx"
    wb.save(path)
    rep = run(ctx, "repayments", path)
    assert rep.ok, rep.errors
    assert rep.inserted == 2
    got = {r.ref: r for r in ctx.call(lambda s: list(s.execute(select(Repayment)).scalars()))}
    assert got["P1"].amount == Decimal("1500.50")
    assert got["P1"].paid_at == datetime(2026, 3, 2, 6, 30, tzinfo=UTC)  # SH +8
    assert got["10023"].paid_at == datetime(2026, 3, 2, 16, 30, tzinfo=UTC)  # JKT +7


def test_bad_rows_refused_with_line_and_column(ctx: AppContext, tmp_path: Path) -> None:
    world(ctx)
    seed_cases(ctx, tmp_path)
    run(ctx, "calls", write(tmp_path / "ok.csv", CALLS_ZH))
    before_calls, before_cases = rows(ctx, Call), rows(ctx, Case)
    bad = (
        "通话编号,案件编号,开始时间,通话时长,通话结果\n"
        "A1,K1,2026-03-02 09:15,999,rpc\n"  # valid (an update), but the file has bad rows
        "A9,K404,2026-03-02 09:15,95,rpc\n"
        "A10,K1,2026-02-30 09:15,95,rpc\n"
        'A11,K1,2026-03-02 09:15,"-5",rpc\n'
        "A12,K1,2026-03-02 09:15,30,hung up\n"
        ",K1,2026-03-02 09:15,30,rpc\n"
    )
    rep = run(ctx, "calls", write(tmp_path / "bad.csv", bad, "gbk"))
    assert not rep.applied and rep.rejected == 5 and rep.valid == 1
    got = [(e.line, e.column, e.field, e.value) for e in rep.errors]
    assert got == [
        (3, "案件编号", "case_ref", "K404"),
        (4, "开始时间", "started_at", "2026-02-30 09:15"),
        (5, "通话时长", "duration_s", "-5"),
        (6, "通话结果", "outcome", "hung up"),
        (7, "通话编号", "call_ref", ""),
    ]
    reasons = [e.reason for e in rep.errors]
    assert reasons[0] == "unknown case"
    assert "real date" in reasons[1]
    assert "greater than or equal to 0" in reasons[2]
    assert "no_answer" in reasons[3]
    assert reasons[4] == "required value missing"
    assert rows(ctx, Call) == before_calls and rows(ctx, Case) == before_cases


def test_missing_required_column_is_refused(ctx: AppContext, tmp_path: Path) -> None:
    world(ctx)
    seed_cases(ctx, tmp_path)
    rep = run(
        ctx, "calls", write(tmp_path / "x.csv", "通话编号,案件编号,开始时间\nA1,K1,2026-03-02\n")
    )
    assert rep.fatal and "duration_s (通话时长)" in rep.fatal and "outcome" in rep.fatal
    assert rep.errors[0].line == 1
    assert count(ctx, Call) == 0


def test_skip_invalid_applies_good_rows_and_writes_masked_rejects(
    ctx: AppContext, tmp_path: Path
) -> None:
    world(ctx)
    body = (
        "case_ref,collector,debtor_phone,debtor_name,amount_owed,days_overdue,assigned_on\n"
        "K1,C0001,13811112222,张伟,100,3,2026-03-01\n"
        "K2,C0404,13833334444,李娜,100,3,2026-03-01\n"
        "K3,C0002,13855556666,王芳,abc,3,2026-03-01\n"
    )
    path = write(tmp_path / "cases.csv", body)
    rep = run(ctx, "cases", path, skip_invalid=True)
    assert rep.applied and rep.inserted == 1 and rep.rejected == 2
    assert [c[1] for c in rows(ctx, Case)] == ["K1"]
    rejects = tmp_path / "cases.rejects.csv"
    assert rep.rejects_path == str(rejects)
    with rejects.open(encoding="utf-8-sig") as f:
        got = list(csv.DictReader(f))
    assert [(r["line"], r["case_ref"]) for r in got] == [("3", "K2"), ("4", "K3")]
    assert got[0]["errors"] == "collector: unknown employee number"
    assert got[1]["errors"].startswith("amount_owed: ")
    assert got[0]["debtor_phone"] == "1*********4" and got[0]["debtor_name"] == "李*"
    text = rejects.read_text(encoding="utf-8-sig")
    for raw in ("13833334444", "13855556666", "李娜", "王芳"):
        assert raw not in text


def test_same_file_twice_changes_nothing(ctx: AppContext, tmp_path: Path) -> None:
    world(ctx)
    seed_cases(ctx, tmp_path)
    path = write(tmp_path / "calls.csv", CALLS_ZH, "gbk")
    first = run(ctx, "calls", path)
    snapshot = (rows(ctx, Call), rows(ctx, Case), rows(ctx, QaFinding))
    second = run(ctx, "calls", path)
    assert (first.inserted, second.inserted, second.updated, second.unchanged) == (3, 0, 0, 3)
    assert (rows(ctx, Call), rows(ctx, Case), rows(ctx, QaFinding)) == snapshot
    again = run(ctx, "cases", tmp_path / "cases.csv")
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 2)


def test_overlapping_files_upsert(ctx: AppContext, tmp_path: Path) -> None:
    world(ctx)
    seed_cases(ctx, tmp_path)
    run(ctx, "calls", write(tmp_path / "a.csv", CALLS_ZH))
    overlap = (
        "call_ref,case_ref,started_at,duration_s,outcome\n"
        "A2,K1,2026-03-02 10:00:30,61,contacted\n"  # corrected row
        "B1,K2,2026-03-02T09:00:00+07:00,40,promise\n"  # same as before
        "C1,K1,2026-03-02 11:00,5,no_answer\n"  # new
        "C1,K1,2026-03-02 11:00,7,no_answer\n"  # repeated in the file: the last one wins
    )
    rep = run(ctx, "calls", write(tmp_path / "b.csv", overlap))
    assert (rep.inserted, rep.updated, rep.unchanged, rep.duplicates) == (1, 1, 1, 1)
    calls = {c[1]: c for c in rows(ctx, Call)}
    assert len(calls) == 4
    assert calls["A2"][6] == 61 and calls["A2"][7] == "contacted"
    assert calls["C1"][6] == 7
    # A partial cases file only updates the columns it has.
    partial = write(
        tmp_path / "p.csv",
        f"案件编号,证件号,委案金额,逾期天数,委案日期\nK1,{ID_1},12500,75,2026-3-1\n",
    )
    rep = run(ctx, "cases", partial)
    assert rep.ok and rep.updated == 1
    k1 = ctx.call(lambda s: s.execute(select(Case).where(Case.case_ref == "K1")).scalar_one())
    assert (k1.days_overdue, k1.bucket, k1.product, k1.is_instalment) == (75, "M3", "信用卡", True)
    assert k1.collector_id is not None


def test_dry_run_stores_nothing(ctx: AppContext, tmp_path: Path) -> None:
    world(ctx)
    seed_cases(ctx, tmp_path)
    rep = run(ctx, "calls", write(tmp_path / "c.csv", CALLS_ZH), dry_run=True)
    assert rep.ok and rep.inserted == 3 and not rep.applied
    assert count(ctx, Call) == 0


def test_mapping_file(ctx: AppContext, tmp_path: Path) -> None:
    world(ctx)
    seed_cases(ctx, tmp_path)
    mapping = write(
        tmp_path / "m.yaml",
        "columns:\n  CallID: call_ref\n  Case No: case_ref\n  Begin: started_at\n"
        "  Secs: duration_s\n  Result: outcome\n  Agent: collector\n"
        "values:\n  outcome:\n    Connected: contacted\n    Busy: no_answer\n"
        "delimiter: ';'\n",
    )
    body = "CallID;Case No;Agent;Begin;Secs;Result;Extra\nX1;K1;C0001;2026-03-02 09:00;10;Busy;z\n"
    body += "X2;K1;C0001;2026-03-02 09:05;20;Connected;z\n"
    rep = run(ctx, "calls", write(tmp_path / "dialler.csv", body), mapping=mapping)
    assert rep.ok, rep.errors
    assert rep.ignored_columns == ["Extra"]
    assert sorted((c[1], c[7]) for c in rows(ctx, Call)) == [
        ("X1", "no_answer"),
        ("X2", "contacted"),
    ]


def test_other_kinds(ctx: AppContext, tmp_path: Path) -> None:
    world(ctx)
    seed_cases(ctx, tmp_path)
    emp = (
        "工号,姓名,分公司,团队,角色,入职日期,状态\n"
        "C0003,赵六,SH,SH-A,催收员;组长,2025-05-06,在职\n"
        "C0001,员工C0001,SH,,collector,2025-01-06,\n"
    )
    rep = run(ctx, "employees", write(tmp_path / "e.csv", emp, "gbk"))
    assert rep.ok and (rep.inserted, rep.updated, rep.unchanged) == (1, 0, 1), rep.errors
    c3 = ctx.call(
        lambda s: s.execute(select(Employee).where(Employee.employee_no == "C0003")).scalar_one()
    )
    assert c3.roles == {"collector", "team_lead"} and c3.team_id is not None
    rep2 = run(ctx, "employees", tmp_path / "e.csv")
    assert (rep2.inserted, rep2.updated, rep2.unchanged) == (0, 0, 2)

    prom = "案件编号,承诺金额,承诺日期,还款日期,状态\nK1,3000,2026-03-02,2026-03-09,未到期\n"
    assert run(ctx, "promises", write(tmp_path / "p.csv", prom)).inserted == 1
    prom2 = "案件编号,承诺金额,承诺日期,还款日期,状态\nK1,3000,2026-03-02,2026-03-09,已违约\n"
    rep = run(ctx, "promises", write(tmp_path / "p2.csv", prom2))
    assert (rep.inserted, rep.updated) == (0, 1)
    assert rows(ctx, PromiseToPay)[0][-1] == "broken"

    comp = "投诉编号,催收员工号,案件编号,投诉时间,投诉类别\nT1,C0002,K2,2026-03-02 08:00,态度问题\n"
    assert run(ctx, "complaints", write(tmp_path / "c.csv", comp)).inserted == 1
    assert rows(ctx, Complaint)[0][4] == datetime(2026, 3, 2, 1, 0, tzinfo=UTC)

    qa = (
        "质检编号,催收员工号,违规规则,严重程度,质检时间\n"
        "Q1,C0001,threat,严重,2026-03-02 16:00\n"
        "auto:x,C0001,threat,严重,2026-03-02 16:00\n"
    )
    rep = run(ctx, "qa_findings", write(tmp_path / "q.csv", qa), skip_invalid=True)
    assert rep.inserted == 1 and rep.errors[0].reason.startswith("references starting with auto:")
    assert rows(ctx, QaFinding)[0][4:7] == ("threat", "major", "")

    lv = (
        "工号,开始日期,结束日期,请假类型\n"
        "C0001,2026-03-05,2026-03-06,病假\n"
        "C0001,2026-03-09,2026-03-08,年假\n"
    )
    rep = run(ctx, "leave", write(tmp_path / "l.csv", lv))
    assert not rep.applied and rep.errors[0].line == 3 and rep.errors[0].field == "end_date"
    rep = run(ctx, "leave", write(tmp_path / "l2.csv", lv.rsplit("C0001", 1)[0]))
    assert rep.inserted == 1
    assert rows(ctx, Leave)[0][2:] == (date(2026, 3, 5), date(2026, 3, 6), "sick")


def test_docs_list_every_column() -> None:
    from coaching.ingest.docs import columns_markdown

    docs = (Path(__file__).parents[1] / "docs" / "data-formats.md").read_text(encoding="utf-8")
    assert columns_markdown() in docs, "run: python -m coaching.ingest.docs (docs are stale)"
