"""Invites: the caller's branch scope on every path (/invite, CLI, bulk), and bulk onboarding
(CSV of deep links + QR sheet) with single-use, hashed codes."""

from __future__ import annotations

import csv
from pathlib import Path

from sqlalchemy import select

from coaching import people
from db.models import InviteCode
from tests import cli_helpers
from tests import factories as f
from tests.conftest import Harness

run_cli = cli_helpers.run_cli  # the fixture

SH_HR_CHAT, ALL_HR_CHAT = -100801, -100802
HR_SH, ADMIN = 2001, 3001


def seed(ctx) -> None:  # type: ignore[no-untyped-def]
    now = ctx.clock.now()
    with ctx.db.session() as s:
        sh, jkt = f.branch(s, "SH"), f.branch(s, "JKT", tz="Asia/Jakarta")
        t1, t2 = f.team(s, sh, "SH-1"), f.team(s, jkt, "JKT-1")
        for i in range(1, 5):
            f.employee(s, f"C000{i}", sh, team=t1, name=f"上海{i}")
        f.employee(s, "C0101", jkt, team=t2, name="雅加达1")
        f.employee(s, "C0009", sh, team=t1, name="已离职", status="left")
        bound = f.employee(s, "C0008", sh, team=t1, name="已绑定")
        f.bind(s, bound, 1008, now)
        f.bind(s, f.employee(s, "H0001", sh, "hr", name="人事"), HR_SH, now)
        f.bind(s, f.employee(s, "A0001", sh, "admin", name="管理"), ADMIN, now)
        f.hr_chat(s, SH_HR_CHAT, sh, now)
        f.hr_chat(s, ALL_HR_CHAT, None, now)


async def test_invite_in_chat_respects_branch_scope(ctx, harness: Harness) -> None:
    seed(ctx)
    [r] = await harness.chat.send(HR_SH, "/invite C0101", chat_id=SH_HR_CHAT)
    assert "不属于你负责的分公司" in r.text
    # an all-branch HR chat does not widen an HR person's own branch
    [r] = await harness.chat.send(HR_SH, "/invite C0101", chat_id=ALL_HR_CHAT)
    assert "不属于你负责的分公司" in r.text
    [r] = await harness.chat.send(HR_SH, "/invite C0001", chat_id=SH_HR_CHAT)
    assert "start=" in r.text
    # an admin in the SH chat is still limited to what that chat serves; in the all chat not
    [r] = await harness.chat.send(ADMIN, "/invite C0101", chat_id=SH_HR_CHAT)
    assert "不属于" in r.text
    [r] = await harness.chat.send(ADMIN, "/invite C0101", chat_id=ALL_HR_CHAT)
    assert "start=" in r.text
    with ctx.db.session() as s:
        assert len(list(s.execute(select(InviteCode)).scalars())) == 2


def test_cli_scope_with_by(ctx, run_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    seed(ctx)
    res = run_cli("invite", "C0101", "--by", "H0001")
    assert res.exit_code == 2 and "other branch" in res.output
    res = run_cli("invite", "C0101", "--by", "C0001")
    assert res.exit_code == 2 and "not an HR or admin" in res.output
    out = tmp_path / "sheets"
    res = run_cli("invite", "--branch", "JKT", "--by", "H0001", "--out", str(out))
    assert res.exit_code == 2 and "not yours" in res.output
    res = run_cli("invite", "--team", "JKT-1", "--by", "H0001", "--out", str(out))
    assert res.exit_code == 2 and "another branch" in res.output
    assert not out.exists()
    with ctx.db.session() as s:
        assert list(s.execute(select(InviteCode)).scalars()) == []
    res = run_cli("invite", "C0101", "--by", "A0001")
    assert res.exit_code == 0 and "start=" in res.output


def test_bulk_team_csv_pdf_and_single_use(ctx, run_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    seed(ctx)
    res = run_cli("invite", "--team", "SH-1", "--out", str(tmp_path))
    assert res.exit_code == 0, res.output
    [csv_path] = tmp_path.glob("*.csv")
    [pdf] = tmp_path.glob("*.pdf")
    rows = list(csv.DictReader(csv_path.open(encoding="utf-8-sig")))
    # unbound, not-left members of SH-1 only
    assert [r["employee_no"] for r in rows] == ["C0001", "C0002", "C0003", "C0004"]
    assert rows[0]["name"] == "上海1"
    assert all(r["link"] == f"https://t.me/CoachBot?start={r['code']}" for r in rows)
    assert pdf.read_bytes().startswith(b"%PDF") and pdf.stat().st_size > 2000
    assert oct(pdf.stat().st_mode & 0o777) == "0o600"
    with ctx.db.session() as s:
        hashes = {r.code_hash for r in s.execute(select(InviteCode)).scalars()}
    assert len(hashes) == 4 and not any(r["code"] in h for r in rows for h in hashes)
    now = ctx.clock.now()
    with ctx.db.session() as s:
        res1, who = people.redeem_invite(s, rows[1]["code"], 777, 777, now)
    with ctx.db.session() as s:
        res2, _ = people.redeem_invite(s, rows[1]["code"], 778, 778, now)
    assert res1 == people.RedeemResult.BOUND and who is not None and who.employee_no == "C0002"
    assert res2 == people.RedeemResult.USED
    # now C0002 is bound: the next bulk run leaves them out; PNG sheet on request
    res = run_cli(
        "invite", "--all-unbound", "--by", "H0001", "--out", str(tmp_path / "b"), "--sheet", "png"
    )
    assert res.exit_code == 0, res.output
    [csv2] = (tmp_path / "b").glob("*.csv")
    nos = [r["employee_no"] for r in csv.DictReader(csv2.open(encoding="utf-8-sig"))]
    assert nos == ["C0001", "C0003", "C0004"]  # SH only (H0001's scope), unbound, not left
    [png] = (tmp_path / "b").glob("*.png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
