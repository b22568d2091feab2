"""Offline mode (no LLM configured): scripted debtor, rule-based grading, labelled as such."""

from __future__ import annotations

from coaching.roleplay import store
from db.models.coaching import DrillStatus
from tests.conftest import Harness
from tests.roleplay_helpers import COLLECTOR, OTHER, STRANGER, drills, employee_id, results, seed


async def _start(harness: Harness, scenario: str = "王先生") -> None:
    [picker] = await harness.chat.send(COLLECTOR, "/roleplay")
    assert "〔离线模式〕" in picker.text
    labels = [b["text"] for row in picker.reply_markup["inline_keyboard"] for b in row]
    assert len(labels) >= 8
    return picker


async def test_offline_drill_end_to_end_success(ctx, harness: Harness) -> None:
    seed(ctx)
    picker = await _start(harness)
    # No assessments yet: the default "no money" scenario is suggested first.
    assert "⭐" in picker.reply_markup["inline_keyboard"][0][0]["text"]
    await harness.chat.tap(COLLECTOR, picker, 1)
    msgs = harness.api.sent(COLLECTOR)
    assert "王先生" in msgs[-1].text and "没钱" in msgs[-1].text and "〔离线模式〕" in msgs[-1].text
    r1 = await harness.chat.send(COLLECTOR, "您好王先生，我是XX资产的专员，这通电话会录音。")
    assert len(r1) == 1 and "〔离线模式〕" in r1[0].text
    r2 = await harness.chat.send(COLLECTOR, "理解您的难处，最近工作上发生了什么情况吗？")
    assert "裁员" in r2[0].text  # a hidden fact, revealed because it was asked about
    r3 = await harness.chat.send(
        COLLECTOR, "那15号补偿金到了，先还2000元，之后每月15号还2000元，可以吗？"
    )
    texts = [m.text for m in r3]
    assert any("按你说的，15号先还2000元，之后每月还2000元" in t for t in texts)
    assert any("达成目标" in t for t in texts)
    report = texts[-1]
    assert "练习报告" in report and "按规则评分" in report and "〔离线模式〕" in report
    for name in ["合规", "共情", "谈判", "问题解决", "结果"]:
        assert f"{name} " in report
    assert "「理解您的难处" in report  # quotes are the collector's own lines
    [d] = drills(ctx)
    assert d.status == DrillStatus.DONE and d.outcome == "success" and d.graded_by == "rules"
    [res] = results(ctx)
    assert (res.source, res.ref, res.competency) == ("drill", f"drill:{d.id}", "classification")
    assert res.score == d.total and res.passed == d.passed and res.passed


async def test_offline_threat_is_flagged_and_fails_the_drill(ctx, harness: Harness) -> None:
    seed(ctx)
    picker = await _start(harness)
    await harness.chat.tap(COLLECTOR, picker, 1)
    await harness.chat.send(COLLECTOR, "理解您，我们一起想想办法好吗")
    replies = await harness.chat.send(COLLECTOR, "再不还钱我就去你单位找你")
    texts = [m.text for m in replies]
    # Flagged at once, naming the rule, before the debtor answers.
    assert "合规警告" in texts[0] and "威胁恐吓" in texts[0] and "严重" in texts[0]
    assert "挂了" in texts[1] and "对方挂断" in texts[2]
    assert "未通过" in texts[-1] and "一票否决" in texts[-1] and "合规 0/100" in texts[-1]
    [d] = drills(ctx)
    assert d.passed is False and d.total == 0 and d.failed_reason == "threat"
    assert results(ctx)[0].passed is False


async def test_end_command_grades_and_turn_limit(ctx, harness: Harness) -> None:
    seed(ctx)
    ctx.settings = ctx.settings.model_copy(update={"roleplay_turn_limit": 3})
    await harness.chat.send(COLLECTOR, "/roleplay abusive")
    for line in ["您好", "请问您现在方便吗", "好的"]:
        replies = await harness.chat.send(COLLECTOR, line)
    assert any("轮数上限" in m.text for m in replies)
    assert "练习报告" in replies[-1].text
    [end] = await harness.chat.send(COLLECTOR, "/end")
    assert "没有进行中的练习" in end.text
    await harness.chat.send(COLLECTOR, "/roleplay third_party")
    out = await harness.chat.send(COLLECTOR, "/end")
    assert "你结束了练习" in out[0].text and "练习报告" in out[-1].text
    assert [d.outcome for d in drills(ctx)] == ["turn_limit", "ended"]


async def test_access_control(ctx, harness: Harness) -> None:
    seed(ctx)
    [r] = await harness.chat.send(STRANGER, "/roleplay")
    assert "邀请码" in r.text
    [r] = await harness.chat.send(2001, "/roleplay")  # HR only: no role
    assert "权限" in r.text
    await harness.chat.send(COLLECTOR, "/roleplay no_money")
    [d] = drills(ctx)
    # Another collector's text is not taken by my drill, and my drill is invisible to them.
    [other] = await harness.chat.send(OTHER, "再不还钱我就去你单位找你")
    assert "没听懂" in other.text
    with ctx.db.session() as s:
        assert store.get(s, d.id, d.employee_id) is not None
        others = store.current(s, d.employee_id + 1)
        assert others is None or others.id != d.id
    # Pressing a retry button for someone else's drill is refused.
    fake = harness.api.sent(OTHER)[-1]
    fake.reply_markup = {"inline_keyboard": [[{"text": "x", "callback_data": f"rpg:{d.id}"}]]}
    await harness.chat.tap(OTHER, fake, 1)
    assert "不是你的练习" in harness.api.sent(OTHER)[-1].text
    [u] = await harness.chat.send(STRANGER, "随便说点什么")
    assert "邀请码" in u.text


async def test_suggestion_follows_the_weakest_competency(ctx, harness: Harness) -> None:
    from datetime import timedelta

    from db.models import AssessmentResult

    seed(ctx)
    now = ctx.clock.now()
    with ctx.db.session() as s:
        me = employee_id(s, "C0001")
        for i, (comp, score) in enumerate(
            [("compliance", 95), ("data_handling", 40), ("data_handling", 50), ("resilience", 70)]
        ):
            s.add(
                AssessmentResult(
                    employee_id=me,
                    source="quiz",
                    ref=f"attempt:{i}",
                    competency=comp,
                    score=score,
                    passed=score >= 60,
                    at=now - timedelta(days=1),
                )
            )
    [picker] = await harness.chat.send(COLLECTOR, "/roleplay")
    first = picker.reply_markup["inline_keyboard"][0][0]
    assert first["text"].startswith("⭐") and "金额有异议" in first["text"]
    assert first["callback_data"] == "rp:disputed_amount" and "数据处理" in picker.text


async def test_english_trainee_gets_english_texts(ctx, harness: Harness) -> None:
    seed(ctx)
    [picker] = await harness.chat.send(COLLECTOR, "/lang")
    await harness.chat.tap(COLLECTOR, picker, "English")
    [menu] = await harness.chat.send(COLLECTOR, "/roleplay")
    assert "[offline mode]" in menu.text and "Suggested" in menu.text
    assert '"I have no money" excuse' in menu.reply_markup["inline_keyboard"][0][0]["text"]
    await harness.chat.tap(COLLECTOR, menu, 1)
    replies = await harness.chat.send(COLLECTOR, "We will come to your office tomorrow")
    assert "Compliance warning" in replies[0].text and "threats (major)" in replies[0].text
    assert "Drill report" in replies[-1].text and "(rule-based grading)" in replies[-1].text
    assert "Major violation (veto): threats" in replies[-1].text
