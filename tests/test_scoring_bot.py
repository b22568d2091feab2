"""/score and /team through the real Application and the local Bot API."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import select

from coaching.calendar import all_branches
from coaching.scoring import config_for
from coaching.scoring.snapshots import freeze
from db.models import AuditLog
from tests import scoring_fixtures as sf
from tests.conftest import Harness

HR_CHAT = -100500
LAST_DAY = datetime(2026, 3, 31, 4, 0, tzinfo=UTC)


def setup(ctx, tmp_path: Path) -> sf.World:  # type: ignore[no-untyped-def]
    # March 31 (Shanghai noon): the month's data is all in, so targets are not paced.
    ctx.clock.set(LAST_DAY)
    ctx.settings = ctx.settings.model_copy(
        update={"scoring_config": str(sf.write_config(tmp_path))}
    )
    return sf.seed(ctx)


def freeze_february(ctx) -> None:  # type: ignore[no-untyped-def]
    cfg = config_for(ctx.settings)
    with ctx.db.session() as s:
        [b] = all_branches(s)
        freeze(s, cfg, b, date(2026, 2, 1), ctx.clock.now())


def plain(text: str) -> str:
    return re.sub(r"<[^>]+>", "", text)


def photos(harness: Harness, chat: int) -> list:  # type: ignore[type-arg]
    return [m for m in harness.api.sent(chat) if m.kind == "photo"]


async def test_score_card_and_trend_chart(ctx, harness: Harness, tmp_path) -> None:  # type: ignore[no-untyped-def]
    setup(ctx, tmp_path)
    # February: 5,000 (M1) / 20,000 = 0.25 → 50; no calls, so complaints AND compliance are
    # n/a → total 50.0, and March's 70.0 (69.95 rounded half-up once) is an arrow up.
    freeze_february(ctx)
    [card] = await harness.chat.send(1001, "/score")
    text = plain(card.text)
    assert "张三" in text and "2026-03" in text
    assert "本月得分（实时，本月截至目前）" in text
    assert "总分 70.0 ↑（上月 50.0）" in text
    assert "团队排名 3/4" in text and "分公司排名 4/5" in text
    # One team average on the card, named by what it averages.
    assert "团队平均总分 67.5（本队参与排名的 4 人）" in text and text.count("团队均") == 0
    assert "回款率：29.0%（回款 ¥5,000，M6+ 加权计 ¥5,800 / 委案 ¥20,000；目标 50.0%）" in text
    assert "→ 58.0 分" in text
    assert "投诉 1 / 接通 50（2.0%） → 75.0 分" in text
    assert "轻微违规 2 次 → 80.0 分" in text
    assert "💡 最该提升：回款率" in text
    await harness.chat.tap(1001, card, "📈 趋势图")
    [photo] = photos(harness, 1001)
    assert harness.api.calls_to("sendPhoto")
    assert "C0001" in photo.text
    [png] = (Path(ctx.settings.output_dir) / "charts").glob("trend-C0001-2026-03-*.png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # The same data again: the chart on disk is sent, not drawn a second time.
    drawn = png.stat().st_mtime_ns
    await harness.chat.tap(1001, card, "📈 趋势图")
    assert len(photos(harness, 1001)) == 2 and png.stat().st_mtime_ns == drawn


async def test_veto_and_na_on_the_card(ctx, harness: Harness, tmp_path) -> None:  # type: ignore[no-untyped-def]
    setup(ctx, tmp_path)
    [card] = await harness.chat.send(1002, "/score")
    assert "⛔" in card.text and "一票否决" in card.text
    assert "原因：私下收款" in card.text and "private_collection" not in card.text
    assert "重大违规" in card.text  # the "what to improve" line names the veto
    [cn] = await harness.chat.send(1006, "/score")  # C0006: a perfect month, no n/a
    assert "总分 100.0" in plain(cn.text) and "n/a" not in cn.text
    await harness.chat.send(1002, "/lang en")
    [en] = await harness.chat.send(1002, "/score")
    assert "Total 0: compliance veto" in plain(en.text)
    assert "Reason: 私下收款" in plain(en.text)


async def test_collector_sees_only_own_scores(ctx, harness: Harness, tmp_path) -> None:  # type: ignore[no-untyped-def]
    w = setup(ctx, tmp_path)
    [card] = await harness.chat.send(1001, "/score C0002")  # arguments are ignored
    assert "张三" in card.text and "李四" not in card.text
    [refused] = await harness.chat.send(1001, "/team")
    assert "🔒" in refused.text
    # A forged heatmap button from a collector is refused too, and no picture leaves.
    msg = harness.api.last(1001)
    await harness.chat.feed(
        harness.chat.updates.callback(1001, msg, f"teamhm:{w.team_ids['SH-1']}")
    )
    assert photos(harness, 1001) == []
    with ctx.db.session() as s:
        denied = list(
            s.execute(select(AuditLog.action).where(AuditLog.outcome == "denied")).scalars()
        )
    assert "/team" in denied and "btn:teamhm" in denied


async def test_team_lead_sees_own_team_and_heatmap(ctx, harness: Harness, tmp_path) -> None:  # type: ignore[no-untyped-def]
    w = setup(ctx, tmp_path)
    [table] = await harness.chat.send(3001, "/team")
    lines = plain(table.text).splitlines()
    assert "SH-1" in lines[0]
    # Sorted by rank; ties say so; the veto is marked; the other team is absent; the lead
    # (collector role, no cases) is listed last, marked and unranked.
    assert lines[1].startswith("并列1. C0003") and lines[2].startswith("并列1. C0004")
    assert lines[3].startswith("3. C0001") and "70.0" in lines[3]
    assert lines[4].startswith("4. C0002") and "⛔" in lines[4] and "否决" in lines[4]
    assert any(x.startswith("—. L0001 组长甲（组长，无案件不排名）") for x in lines[5:])
    assert "C0006" not in table.text
    await harness.chat.tap(3001, table, "🔥 热力图")
    [pic] = photos(harness, 3001)
    assert "SH-1" in pic.text
    # The other team's heatmap, by a forged button: refused, no picture.
    await harness.chat.feed(
        harness.chat.updates.callback(3001, table, f"teamhm:{w.team_ids['SH-2']}")
    )
    assert len(photos(harness, 3001)) == 1
    assert "🔒" in harness.api.last(3001).text


async def test_hr_picks_a_team_and_gets_branch_comparison(ctx, harness: Harness, tmp_path) -> None:  # type: ignore[no-untyped-def]
    setup(ctx, tmp_path)
    comparison, picker = await harness.chat.send(2001, "/team", chat_id=HR_CHAT)
    # SH-2: C0006 alone at 100; SH-1: (66.1 + 0 + 100 + 100) / 4 = 66.5 with one veto.
    text = plain(comparison.text)
    assert "SH-2" in text and "均分 100.0" in text
    assert "均分 67.5" in text and "否决 1" in text
    assert comparison.text.index("SH-2") < comparison.text.index("SH-1")
    await harness.chat.tap(2001, picker, "SH-2 team SH-2")
    table = harness.api.last(HR_CHAT)
    assert "1. C0006 孙八：100.0" in plain(table.text)
    # HR in private chat: their own branch, straight to a team by code.
    [direct] = await harness.chat.send(2001, "/team SH-1")
    assert "3. C0001 张三：70.0" in plain(direct.text)
    [unknown] = await harness.chat.send(2001, "/team XX-9")
    assert "XX-9" in unknown.text
    # A team lead in the HR chat gets nothing.
    [r] = await harness.chat.send(3001, "/team", chat_id=HR_CHAT)
    assert "🔒" in r.text


async def test_day_one_shows_last_months_final_card_then_month_to_date(
    ctx, harness, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    setup(ctx, tmp_path)
    # April 1st, 09:00 Shanghai: nothing in April yet → March's final card, said so.
    ctx.clock.set(datetime(2026, 4, 1, 1, 0, tzinfo=UTC))
    [card] = await harness.chat.send(1001, "/score")
    text = plain(card.text)
    assert "2026-03 上月最终得分" in text and "本月（2026-04）数据尚未产生" in text
    assert "总分 70.0" in text and "团队排名 3/4" in text
    # No "60.0, rank 1 of N" for an empty month.
    assert "2026-04 本月得分" not in text
    # The first call of April: from then on, the month to date.
    with ctx.db.session() as s:
        from db.models import Case

        k = s.query(Case).filter_by(collector_id=sf_ids(ctx)["C0001"]).first()
        sf.calls(s, k, 1, 1, datetime(2026, 4, 1, 0, 30, tzinfo=UTC))
    [live] = await harness.chat.send(1001, "/score")
    text = plain(live.text)
    assert "2026-04 本月得分（实时，本月截至目前）" in text and "数据尚未产生" not in text
    assert "按本月已过 1/30 天折算" in text


async def test_lead_without_cases_gets_no_rank_and_no_verdict(ctx, harness, tmp_path) -> None:  # type: ignore[no-untyped-def]
    setup(ctx, tmp_path)
    [card] = await harness.chat.send(3001, "/score")
    text = plain(card.text)
    assert "组长甲" in text and "本月还没有可计分的数据" in text
    assert "组长本月没有在手案件，不参与排名" in text
    # "no data" never comes with a verdict or a rank.
    assert "💡" not in text and "达标" not in text and "排名 " not in text
    assert "回款率：n/a（本月没有在手案件，无回款率可算；权重分摊给其他项）" in text
    assert "合规：n/a（本月没有通话，无可评合规；权重分摊给其他项）" in text


async def test_jakarta_card_in_rupiah_with_derived_components_named(ctx, harness, tmp_path) -> None:  # type: ignore[no-untyped-def]
    setup(ctx, tmp_path)
    ids = sf.seed_jkt(ctx)
    with ctx.db.session() as s:
        from db.models import Employee
        from tests import factories as f

        f.bind(s, s.get(Employee, ids["J0001"]), 7001, ctx.clock.now())
    [card] = await harness.chat.send(7001, "/score")
    text = plain(card.text)
    assert "回款 Rp 5.000，M6+ 加权计 Rp 5.800 / 委案 Rp 20.000" in text and "¥" not in text
    assert "客户满意度（由投诉率推算，无调查数据）" in text
    await harness.chat.send(7001, "/lang en")
    [en] = await harness.chat.send(7001, "/score")
    assert "repaid Rp 5.000, credited Rp 5.800 with M6+ weight / assigned Rp 20.000" in (
        plain(en.text)
    )
    assert "Satisfaction (derived from complaints; no survey data)" in plain(en.text)


def sf_ids(ctx) -> dict[str, int]:  # type: ignore[no-untyped-def]
    from db.models import Employee

    with ctx.db.session() as s:
        return {e.employee_no: e.id for e in s.query(Employee)}
