"""The offline debtor reacts to what the collector actually offered (issue #20 item 6).

Before: any line with an amount in it ("您先还5000元吧") ended the "no money" drill with the
script's fixed closing "15号我先还2000，之后每个月还" and an outcome of 90, terms nobody had
offered. Now the debtor agrees only to the collector's own terms, within what the scenario
says they can pay, and says why not otherwise."""

from __future__ import annotations

from coaching.roleplay import scripted
from coaching.roleplay.offers import cn_number, read_offer
from coaching.roleplay.scenarios import load_dir
from coaching.roleplay.store import Turn
from tests.conftest import Harness
from tests.roleplay_helpers import COLLECTOR, drills, seed

LIB = load_dir()


def talk(
    scenario: str, *lines: str, violations: dict[int, list] | None = None
) -> list[tuple[str, str]]:  # type: ignore[type-arg]
    """Feed collector lines one by one; the debtor's (reply, ended) after each."""
    sc = LIB[scenario]
    turns = [Turn(0, "debtor", sc.script.opening, [])]
    out = []
    for i, line in enumerate(lines):
        turns.append(Turn(len(turns), "collector", line, (violations or {}).get(i, [])))
        text, ended = scripted.reply(sc, turns)
        turns.append(Turn(len(turns), "debtor", text, []))
        out.append((text, ended))
    return out


def test_amounts_and_dates_are_read_from_the_line() -> None:
    o = read_offer("那15号补偿金到了，先还2000元，之后每月15号还2000元，可以吗？", today=8)
    assert (o.first, o.monthly, o.when.words, o.when.day) == (2000, 2000, "15号", 15)
    o = read_offer("首期三千四百元，之后每个月一千五", today=10)
    assert (o.first, o.monthly) == (3400, 1500)
    assert read_offer("下周五发工资后先还3000可以吗", today=10, weekday=3).when.day == 19
    assert read_offer("明天下午5点前还1000块", today=10).when.day == 11
    assert read_offer("5号先还500元", today=8).when.day == 35  # the 5th is next month's
    assert read_offer("三天内先还500元", today=10).when.day == 13
    assert [cn_number(x) for x in ("两千", "三千五", "一万五", "十五")] == [2000, 3500, 15000, 15]
    o = read_offer("减免需要按公司政策申请，我可以帮您提交")
    assert o.discount and o.discount_proper
    assert read_offer("我们可以给您减免一半").discount_proper is False
    assert read_offer("喂，您好").concrete is False


def test_the_debtor_never_agrees_to_terms_not_offered() -> None:
    [(text, ended)] = talk("no_money", "您先还5000元吧")
    assert ended == "" and "5000元" in text and "拿不出来" in text
    assert "15号" not in text and "2000" not in text  # nothing the collector did not say
    # The amount alone: the debtor asks when; the date in the next line makes the offer.
    (a, e1), (b, e2) = talk("no_money", "先还2000元可以吗", "那就15号")
    assert "那你说哪天还" in a and e1 == ""
    assert b == "行吧……那就按你说的，15号先还2000元。" and e2 == "success"


def test_the_debtor_resists_realistically_and_says_why_once_known() -> None:
    # Too early: the money arrives on the 15th; said plainly only after it came out.
    [(early, _)] = talk("no_money", "明天先还1000元")
    assert early == "明天不行，我手上现在真没钱。"
    replies = talk("no_money", "您大概什么时候能有钱？", "明天先还1000元", "那每月还3000元呢")
    assert "15号会收到一笔补偿金" in replies[0][0]
    assert replies[1][0] == "明天不行，钱要15号才到。"
    assert replies[2][0] == "3000元我真拿不出来，最多也就2000元。"
    # All at once, pressure, a discount promise: no deal, each answered for what it is.
    [(full, _)] = talk("instalment_m6", "您一次性结清68000元吧")
    assert "一次性全还" in full
    [(disc, _)] = talk("complaint_threat", "我们可以给您减免一半，下周五先还3000元")
    assert "能减免" in disc
    [(proper, _)] = talk("complaint_threat", "减免需要按公司政策申请，我可以帮您提交")
    assert "申请看看" in proper


def test_a_deal_short_of_the_goal_is_not_called_success() -> None:
    # Next month's 20th is after the objective's "本月底": agreed, but short of the goal.
    [(text, ended)] = talk("no_money", "下个月20号先还1500元")
    assert "下个月20号" not in text or "20号先还1500元" in text
    assert ended == "deal"
    # The promise breaker happily takes 月底 (his habit); the goal is within 3 days.
    [(pb, e)] = talk("promise_breaker", "那您月底先还1000元")
    assert "月底先还1000元" in pb and e == "deal"
    [(pb2, e2)] = talk("promise_breaker", "这次我们不定大数，您明天先还1000元，能做到吗？")
    assert "明天先还1000元" in pb2 and e2 == "success"


def test_personas_need_to_be_heard_first() -> None:
    # The abusive debtor takes no offer before being acknowledged.
    replies = talk(
        "abusive",
        "月底先还5000元",
        "听得出来您很生气，之前的沟通让您不舒服了，抱歉",
        "月底30号先还5000元",
    )
    assert replies[0][0].startswith("你们就知道要钱") and replies[0][1] == ""
    assert replies[2] == ("行吧……那就按你说的，月底30号先还5000元。", "success")
    # The disputing debtor wants the dispute taken down before paying anything.
    d = talk(
        "disputed_amount", "20号先还3000元", "您的异议我会如实记录并提交核实", "20号先还3000元"
    )
    assert "先把我说的记下来核实" in d[0][0] and d[2][1] == "success"


def test_breaches_end_or_sour_the_call() -> None:
    minor = [{"rule": "derogatory", "severity": "minor", "layer": "rules", "excerpt": "x"}]
    major = [{"rule": "threat", "severity": "major", "layer": "rules", "excerpt": "x"}]
    [(m, e)] = talk("no_money", "15号先还2000元", violations={0: minor})
    assert "不舒服" in m and e == ""  # the offer is ignored after an insult
    [(h, e2)] = talk("no_money", "15号先还2000元", violations={0: major})
    assert h == LIB["no_money"].script.hangup and e2 == "hangup"
    # The call's hour (off_hours) is not something the debtor hears.
    late = [{"rule": "off_hours", "severity": "minor", "layer": "rules", "excerpt": "22:00"}]
    assert talk("no_money", "15号先还2000元", violations={0: late})[0][1] == "success"


def test_empathy_softens_once_then_the_script_goes_on() -> None:
    replies = talk("no_money", "我理解您", "我理解您")
    assert "心里好受一点" in replies[0][0]
    assert "心里好受一点" not in replies[1][0]


async def test_console_drill_reacts_to_the_offer(ctx, harness: Harness) -> None:
    seed(ctx)
    await harness.chat.send(COLLECTOR, "/roleplay no_money")
    [r] = await harness.chat.send(COLLECTOR, "您好王先生，我是XX资产的专员，您先还5000元吧")
    assert "5000元？太多了" in r.text and "〔离线模式〕" in r.text
    [r] = await harness.chat.send(COLLECTOR, "那您每个月能还多少？")
    assert "每月可以还2000左右" in r.text
    out = await harness.chat.send(COLLECTOR, "好的，15号先还1500元，之后每月还1500元")
    texts = [m.text for m in out]
    assert "按你说的，15号先还1500元，之后每月还1500元" in texts[0]
    assert "达成目标" in texts[1] and "练习报告" in texts[-1]
    # The card quotes the line that made the deal, for negotiation and outcome.
    assert "「好的，15号先还1500元，之后每月还1500元」" in texts[-1]
    [d] = drills(ctx)
    assert d.outcome == "success"
