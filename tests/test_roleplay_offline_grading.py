"""Rule-based grading (offline mode) quotes the collector's own line for each criterion and
agrees with its own model lines; the weakest competency is named the same way on the
/roleplay picker, the grade card, /coach, /score and the trainers' /stats (issue #20)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.i18n import t
from coaching.roleplay.grading import decide
from coaching.roleplay.rule_grade import rule_grade
from coaching.roleplay.scenarios import CRITERIA, load_dir
from db.models import AssessmentResult
from tests.conftest import Harness
from tests.roleplay_helpers import COLLECTOR, employee_id, seed

LIB = load_dir()
ORDER = ("compliance", "empathy", "problem_solving", "negotiation", "outcome")


@pytest.mark.parametrize("scenario", sorted(LIB))
def test_the_model_lines_score_well_and_are_quoted(scenario: str) -> None:
    # The rules agree with the scenario's own model lines: said as a call, each criterion
    # scores well and is evidenced by one of those lines, never by an unrelated one.
    sc = LIB[scenario]
    lines = [sc.model_lines[k] for k in ORDER]
    card, notes = rule_grade(sc, lines, "success")
    r = decide(card, lines, [], "rules", notes)
    assert r.passed and r.total >= 80, (r.total, r.criteria)
    for name in CRITERIA:
        c = r.criteria[name]
        assert c["score"] >= 70, (name, c)
        assert c["quote"] in lines, (name, c)
        assert "note" not in c
    # The card says the model line was matched ("参考说法"), not "a better line".
    text = t(
        "zh_CN",
        "roleplay.report",
        title="x",
        criteria=r.criteria,
        total=r.total,
        passed=True,
        failed_reason=[],
        summary="",
        graded_by="rules",
        offline=True,
    )
    assert "👍 参考说法" in text


def test_no_evidence_quotes_nothing_rather_than_an_unrelated_line() -> None:
    sc = LIB["no_money"]
    lines = ["喂", "嗯嗯", "好的"]
    card, notes = rule_grade(sc, lines, "turn_limit")
    r = decide(card, lines, [], "rules", notes)
    for name in ("compliance", "empathy", "negotiation", "problem_solving", "outcome"):
        assert r.criteria[name]["quote"] == "", (name, r.criteria[name])
    assert r.criteria["empathy"]["score"] == 35 and r.criteria["empathy"]["note"] == "no_evidence"
    assert r.criteria["outcome"]["note"] == "no_agreement" and not r.passed
    text = t(
        "zh_CN",
        "roleplay.report",
        title="x",
        criteria=r.criteria,
        total=r.total,
        passed=False,
        failed_reason=[],
        summary="",
        graded_by="rules",
        offline=True,
        weakest=r.weakest,
    )
    assert "通话中没有找到这方面的说法" in text and "「喂」" not in text
    assert "📌 本次最弱的一项：问题解决" in text  # 30, the lowest


def test_each_criterion_quotes_its_own_evidence() -> None:
    sc = LIB["no_money"]
    lines = [
        "您好，我是XX资产管理公司的专员，这通电话会录音。",
        "天气不错。",
        "失业确实不容易，我理解您。",
        "最近收入有什么变化吗？",
        "15号先还2000元，之后每月还2000元。",
    ]
    card, notes = rule_grade(sc, lines, "success")
    r = decide(card, lines, [], "rules", notes)
    q = {k: v["quote"] for k, v in r.criteria.items()}
    assert q == {
        "compliance": lines[0],
        "empathy": lines[2],
        "negotiation": lines[4],
        "problem_solving": lines[3],
        "outcome": lines[4],
    }
    assert "天气不错。" not in q.values()


def test_deals_short_of_the_goal_and_policy_breaches_are_graded_as_such() -> None:
    sc = LIB["no_money"]
    lines = ["下个月20号先还1500元"]
    card, notes = rule_grade(sc, lines, "deal")
    assert card.outcome.score == 60 and notes["outcome"] == "short_of_goal"
    assert card.outcome.quote == lines[0]
    ct = LIB["complaint_threat"]
    lines = ["我们可以给您减免一半，下周五先还3000元"]
    card, notes = rule_grade(ct, lines, "ended")
    assert card.negotiation.score == 40 and notes["negotiation"] == "discount_promised"
    assert card.negotiation.quote == lines[0]
    # In the crisis scenario, talking money is the mistake, quoted as such.
    sh = LIB["self_harm"]
    lines = ["我理解您，但这12000元还款总要安排"]
    card, notes = rule_grade(sh, lines, "ended")
    assert notes["negotiation"] == "money_talk" and card.negotiation.quote == lines[0]


def _assess(ctx) -> None:  # type: ignore[no-untyped-def]
    now = ctx.clock.now()
    with ctx.db.session() as s:
        me = employee_id(s, "C0001")
        for i, (comp, score) in enumerate(
            [("compliance", 95), ("data_handling", 40), ("communication", 70)]
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


async def test_weakest_competency_is_named_identically_everywhere(ctx, harness: Harness) -> None:
    seed(ctx)
    _assess(ctx)
    phrase = "🎯 你的薄弱项：数据处理"
    [picker] = await harness.chat.send(COLLECTOR, "/roleplay")
    assert phrase in picker.text
    await harness.chat.send(COLLECTOR, "/roleplay no_money")
    out = await harness.chat.send(COLLECTOR, "/end")
    card = out[-1].text
    assert "练习报告" in card and phrase in card
    # The drill's weakest criterion on the card is the one /coach names, in the same words.
    weakest = card.split("📌 本次最弱的一项：", 1)[1].split("\n", 1)[0].strip()
    [coach] = await harness.chat.send(COLLECTOR, "/coach")
    assert f"“{weakest}”" in coach.text
    assert phrase in coach.text
    [score] = await harness.chat.send(COLLECTOR, "/score")
    assert phrase in score.text
    # English: one name too.
    await harness.chat.send(COLLECTOR, "/lang en")
    [en] = await harness.chat.send(COLLECTOR, "/roleplay")
    assert "🎯 Your weakest area: data handling" in en.text


async def test_no_weakest_area_is_claimed_without_evidence(ctx, harness: Harness) -> None:
    seed(ctx)
    [picker] = await harness.chat.send(COLLECTOR, "/roleplay")
    assert "薄弱项" not in picker.text and "⭐" in picker.text


def test_trainers_see_each_lagging_trainees_weakest_area(ctx, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from coaching.training import analytics
    from tests.test_training_analytics import _scenario

    _scenario(ctx, tmp_path)
    with ctx.db.session() as s:
        st = analytics.compute(s, ctx.clock.now() + timedelta(days=5))
    behind = {b.employee_no: b for b in st.behind}
    # C0003 failed the compliance exam; C0004 never started anything: no claim about them.
    assert behind["C0003"].weakest == "compliance" and behind["C0004"].weakest == ""
    text = t("zh_CN", "training.stats", st=st)
    line = next(x for x in text.splitlines() if "C0003" in x)
    assert line.endswith("；薄弱项：合规意识")
    assert "薄弱项" not in next(x for x in text.splitlines() if "C0004" in x)
    en = t("en", "training.stats", st=st)
    assert "weakest area: compliance awareness" in en
