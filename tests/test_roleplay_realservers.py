"""Drills against the double behaving like real servers and small models (BEHAVIOURS in
tests/llm_double.py): llama.cpp's 500 on json_schema, cut streams, slow first tokens, echoed
schemas, the wrong language, refusals. Nothing that failed its checks is stored or shown as
a result; the drill is always kept."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from db.models import CoachTip, DrillTurn
from db.models.coaching import DrillStatus
from tests.conftest import Harness
from tests.llm_double import (  # noqa: F401  (fixtures)
    ONE_BETTER_LINE,
    LLMDouble,
    Reply,
    llm_double_fixture,
    online_fixture,
)
from tests.roleplay_helpers import COLLECTOR, drills, results, seed, start_drill


def debtor_lines(ctx) -> list[str]:  # type: ignore[no-untyped-def]
    with ctx.db.session() as s:
        rows = s.execute(select(DrillTurn).where(DrillTurn.speaker == "debtor")).scalars()
        return [r.text for r in rows]


async def test_llamacpp_server_grades_a_whole_drill(
    ctx, harness: Harness, online: LLMDouble
) -> None:
    online.behaviours = {"schema_500"}
    await start_drill(ctx, harness)
    lines = ["您好，我是XX资产的专员，最近工作还好吗？", "理解您的难处，方便说说收入情况吗？"]
    for line in lines:
        await harness.chat.send(COLLECTOR, line)
    replies = await harness.chat.send(COLLECTOR, "/end")
    assert "练习报告" in replies[-1].text and "AI 服务出错" not in replies[-1].text
    [d] = drills(ctx)
    assert d.graded_by == "llm" and d.status == DrillStatus.DONE and len(results(ctx)) == 1
    # The compliance check ran on every line; json_schema was tried once, then json_object.
    checks = online.of("compliance")
    assert len(checks) == len(lines) + 1  # the first line's check hit the 500 first
    kinds = [
        r.get("response_format", {}).get("type") for r in online.requests if "response_format" in r
    ]
    assert kinds.count("json_schema") == 1 and set(kinds[1:]) == {"json_object"}


async def test_cut_stream_is_retried_once_and_stored_once(
    ctx, harness: Harness, online: LLMDouble
) -> None:
    await start_drill(ctx, harness)
    online.push(Reply("我现在真的", finish_reason=None), purpose="debtor")
    online.push(Reply("我现在真的没钱，下个月再说吧。"), purpose="debtor")
    [msg] = await harness.chat.send(COLLECTOR, "您好，最近方便沟通吗？")
    assert msg.text.endswith("我现在真的没钱，下个月再说吧。")
    assert debtor_lines(ctx)[-1] == "我现在真的没钱，下个月再说吧。"
    assert len(online.of("debtor")) == 2


async def test_stream_cut_twice_is_shown_as_cut_and_not_stored(
    ctx, harness: Harness, online: LLMDouble
) -> None:
    await start_drill(ctx, harness)
    online.behaviours = {"cut_streams"}
    online.push(Reply("我现在真的"), Reply("我现在真的没"), purpose="debtor")
    replies = await harness.chat.send(COLLECTOR, "您好，最近方便沟通吗？")
    shown, err = replies[0], replies[-1]
    assert "我现在真的没" in shown.text and "回复中断，未保存" in shown.text
    assert "回复中途断开" in err.text and "练习已保留" in err.text
    assert len(debtor_lines(ctx)) == 1  # only the scenario's opening line
    assert drills(ctx)[0].awaiting_reply
    online.behaviours = set()
    online.push(Reply("行吧，你说。"), purpose="debtor")
    await harness.chat.tap(COLLECTOR, err, "🔄 重试")
    assert debtor_lines(ctx)[-1] == "行吧，你说。"


async def test_refusal_and_wrong_language_are_not_debtor_lines(
    ctx, harness: Harness, online: LLMDouble
) -> None:
    await start_drill(ctx, harness)
    online.push(Reply("I'm sorry, but I can't help with that request."), purpose="debtor")
    online.push(Reply("我现在手头紧，过几天再说。"), purpose="debtor")
    await harness.chat.send(COLLECTOR, "您好，最近方便沟通吗？")
    assert debtor_lines(ctx)[-1] == "我现在手头紧，过几天再说。"
    online.behaviours = {"wrong_language"}
    replies = await harness.chat.send(COLLECTOR, "那您打算什么时候还？")
    assert "AI 回复无法使用" in replies[-1].text
    assert all("money" not in t for t in debtor_lines(ctx))
    assert len(debtor_lines(ctx)) == 2


async def test_grading_in_the_wrong_language_is_unavailable_not_stored(
    ctx, harness: Harness, online: LLMDouble
) -> None:
    await start_drill(ctx, harness)
    await harness.chat.send(COLLECTOR, "理解您的难处，方便说说情况吗？")
    online.behaviours = {"wrong_language"}
    replies = await harness.chat.send(COLLECTOR, "/end")
    assert "评分暂不可用" in replies[-1].text
    assert len(online.of("grader")) == 3  # the first criterion: first try and two repairs
    assert "must be in Chinese" in online.of("grader")[-1]["messages"][-1]["content"]
    assert drills(ctx)[0].report is None and not results(ctx)


async def test_slow_first_token_shows_typing_and_arrives(
    ctx, harness: Harness, online: LLMDouble
) -> None:
    ctx.settings = ctx.settings.model_copy(
        update={"llm_timeout_s": 5.0, "llm_budget_debtor": "4,100,0.8"}
    )
    await start_drill(ctx, harness)
    online.push(Reply("嗯……你说吧。", first_token_delay_s=1.5), purpose="debtor")
    harness.api.calls.clear()
    [msg] = await harness.chat.send(COLLECTOR, "您好，最近方便沟通吗？")
    assert msg.text.endswith("嗯……你说吧。")
    typing = harness.api.calls_to("sendChatAction")
    first_send = harness.api.calls_to("sendMessage")[0]
    assert typing and typing[0].at < first_send.at - 1.0


async def test_small_model_near_quotes_grade_with_the_trainees_own_line(
    ctx, harness: Harness, online: LLMDouble
) -> None:
    """Qwen2.5-1.5B dropped a character when copying every quote, so no grade was ever usable;
    a near-copy now stands for the trainee's whole line (never for anyone else's words)."""
    await start_drill(ctx, harness)
    online.behaviours = {"near_quotes"}
    line = "理解您的难处，方便说说现在的收入情况吗？"
    await harness.chat.send(COLLECTOR, line)
    replies = await harness.chat.send(COLLECTOR, "/end")
    assert "练习报告" in replies[-1].text
    [d] = drills(ctx)
    assert d.graded_by == "llm" and d.status == DrillStatus.DONE
    quotes = {c["quote"] for c in d.report["criteria"].values()}
    assert quotes == {line}


async def test_one_better_line_for_every_criterion_still_grades(
    ctx, harness: Harness, online: LLMDouble
) -> None:
    """Qwen2.5-1.5B gave one better line for all five criteria, on every try, so grading never
    completed. The first criterion keeps it; each later one is asked once for a different
    line and then gets the scenario's own model line for that criterion."""
    from coaching.roleplay.scenarios import CRITERIA, library

    await start_drill(ctx, harness)
    online.behaviours = {"one_better_line"}
    await harness.chat.send(COLLECTOR, "理解您的难处，方便说说现在的收入情况吗？")
    replies = await harness.chat.send(COLLECTOR, "/end")
    assert "练习报告" in replies[-1].text and "评分暂时失败" not in replies[-1].text
    [d] = drills(ctx)
    assert d.graded_by == "llm" and d.status == DrillStatus.DONE
    model_lines = library()["no_money"].model_lines
    lines = [d.report["criteria"][k]["better_line"] for k in CRITERIA]
    assert lines == [ONE_BETTER_LINE] + [model_lines[k] for k in CRITERIA[1:]]
    assert len(set(lines)) == len(lines)
    # One answer for the first criterion, two (the repair, then the model line) for the rest.
    per_criterion = [
        sum(1 for r in online.of("grader") if f"criterion: {k} " in str(r["messages"]))
        for k in CRITERIA
    ]
    assert per_criterion == [1, 2, 2, 2, 2]


async def test_transcript_labels_are_chinese_and_never_copied_into_the_report(
    ctx, harness: Harness, online: LLMDouble
) -> None:
    """Qwen2.5-1.5B began better lines with "COLLECTOR: " and wrote "COLLECTOR的回应…" in a
    Chinese summary: a Chinese grade's transcript is labelled in Chinese, and a copied label
    is taken off what is stored."""
    await start_drill(ctx, harness)
    await harness.chat.send(COLLECTOR, "理解您的难处，方便说说现在的收入情况吗？")
    online.scorecard = {
        k: {"score": 70, "quote": "", "better_line": f"COLLECTOR: {k}，我们一起想个办法。"}
        for k in ("compliance", "empathy", "negotiation", "problem_solving", "outcome")
    }
    online.scorecard["summary"] = "催收员： 整体礼貌，可以更早提出方案。"
    replies = await harness.chat.send(COLLECTOR, "/end")
    assert "COLLECTOR" not in replies[-1].text
    [d] = drills(ctx)
    lines = [c["better_line"] for c in d.report["criteria"].values()]
    assert lines[0] == "compliance，我们一起想个办法。" and not any("COLLECTOR" in x for x in lines)
    assert d.report["summary"] == "整体礼貌，可以更早提出方案。"
    [grader, *_] = online.of("grader")
    assert "催收员：理解您的难处" in grader["messages"][-1]["content"]
    assert "COLLECTOR:" not in grader["messages"][-1]["content"]


async def test_a_quote_of_someone_elses_words_is_dropped_not_stored(
    ctx, harness: Harness, online: LLMDouble
) -> None:
    await start_drill(ctx, harness)
    await harness.chat.send(COLLECTOR, "理解您的难处，方便说说现在的收入情况吗？")
    debtor_words = "我真的没有钱，下个月再说吧"
    online.scorecard = {
        k: {"score": 70, "quote": debtor_words, "better_line": f"{k}：我们一起想个办法。"}
        for k in ("compliance", "empathy", "negotiation", "problem_solving", "outcome")
    }
    replies = await harness.chat.send(COLLECTOR, "/end")
    assert "练习报告" in replies[-1].text and debtor_words not in replies[-1].text
    [d] = drills(ctx)
    assert d.graded_by == "llm" and {c["quote"] for c in d.report["criteria"].values()} == {""}


async def test_echoed_schema_never_becomes_a_report_or_a_flag(
    ctx, harness: Harness, online: LLMDouble
) -> None:
    await start_drill(ctx, harness)
    online.behaviours = {"echo_schema"}
    replies = await harness.chat.send(COLLECTOR, "理解您的难处，方便说说情况吗？")
    assert not any("string" in m.text for m in replies)  # no "string" compliance warning
    replies = await harness.chat.send(COLLECTOR, "/end")
    assert "评分暂不可用" in replies[-1].text
    [d] = drills(ctx)
    assert d.status == DrillStatus.GRADING and d.report is None and d.total is None
    assert not results(ctx)
    with ctx.db.session() as s:
        stored = [t.violations for t in s.execute(select(DrillTurn)).scalars()]
    assert "string" not in json.dumps(stored)
    with ctx.db.session() as s:
        assert s.execute(select(CoachTip)).first() is None


async def test_confirmed_llm_major_finding_fails_chat_report_and_assessment(
    ctx, harness: Harness, online: LLMDouble
) -> None:
    await start_drill(ctx, harness)
    line = "再不还款，银行会把您全家的账户都停掉"  # the rule layer misses this one
    verdict = {
        "violation": True,
        "rule": "false_legal",
        "severity": "major",
        "quote": "把您全家的账户都停掉",
        "reason": "虚构对子女的法律后果",
    }
    online.push(Reply(json.dumps(verdict, ensure_ascii=False)), purpose="compliance")
    replies = await harness.chat.send(COLLECTOR, line)
    assert "虚构法律后果" in replies[0].text and "不合格" in replies[0].text
    # Otherwise a good call: every other score would pass it.
    for good in [
        "理解您的难处，方便说说情况吗？",
        "我理解，每月1000元分期怎么样？",
        "您看15号先还2000元可以吗？",
    ]:
        await harness.chat.send(COLLECTOR, good)
    online.scorecard = {
        k: {"score": 90, "quote": "", "better_line": f"{k}：我理解您的难处，我们一起想办法。"}
        for k in ("compliance", "empathy", "negotiation", "problem_solving", "outcome")
    }
    replies = await harness.chat.send(COLLECTOR, "/end")
    assert "未通过" in replies[-1].text and "虚构法律后果" in replies[-1].text
    [d] = drills(ctx)
    assert d.passed is False and d.total == 0 and d.failed_reason == "false_legal"
    [res] = results(ctx)
    assert res.passed is False and res.score == 0
    # The veto took two keys: the verdict, then the one-rule question on that line.
    [confirm] = online.of("confirm")
    assert "Rule (false_legal)" in confirm["messages"][0]["content"]
    assert "把您全家的账户都停掉" in confirm["messages"][-1]["content"]


async def test_llm_major_finding_the_second_key_denies_does_not_veto(
    ctx, harness: Harness, online: LLMDouble
) -> None:
    """Qwen2.5-1.5B flagged "家里有没有其他人可以帮忙分担一部分？" as impersonation, quote and
    all, and the drill was vetoed; asked about that one rule it says no: nothing is flagged."""
    await start_drill(ctx, harness)
    line = "家里有没有其他人可以帮忙分担一部分？"
    verdict = {
        "violation": True,
        "rule": "impersonation",
        "severity": "major",
        "quote": line,
        "reason": "冒充",
    }
    online.push(Reply(json.dumps(verdict, ensure_ascii=False)), purpose="compliance")
    online.push(Reply("No."), purpose="confirm")
    replies = await harness.chat.send(COLLECTOR, line)
    assert not any("合规警告" in m.text or "不合格" in m.text for m in replies)
    online.scorecard = {
        k: {"score": 90, "quote": "", "better_line": f"{k}：我理解您的难处，我们一起想办法。"}
        for k in ("compliance", "empathy", "negotiation", "problem_solving", "outcome")
    }
    replies = await harness.chat.send(COLLECTOR, "/end")
    assert "未通过" not in replies[-1].text
    [d] = drills(ctx)
    assert d.passed is True and d.failed_reason in ("", None)
    with ctx.db.session() as s:
        turns = s.execute(select(DrillTurn).where(DrillTurn.speaker == "collector")).scalars()
        assert all(not t.violations for t in turns)


async def test_unconfirmed_llm_finding_is_ignored(ctx, harness: Harness, online: LLMDouble) -> None:
    await start_drill(ctx, harness)
    # The "quote" is not in the line: three tries, then the check is skipped.
    bad = {
        "violation": True,
        "rule": "threat",
        "severity": "major",
        "quote": "我要去你家",
        "reason": "威胁",
    }
    online.push(*[Reply(json.dumps(bad, ensure_ascii=False))] * 3, purpose="compliance")
    replies = await harness.chat.send(COLLECTOR, "您好，最近方便沟通吗？")
    assert not any("合规警告" in m.text for m in replies)
    replies = await harness.chat.send(COLLECTOR, "/end")
    assert "未通过" not in replies[-1].text


# --- the CLI and the console, as real processes ---------------------------------------------


def cli(ctx, double: LLMDouble, args: list[str], stdin: str = "", **env: str):  # type: ignore[no-untyped-def]
    import os
    import subprocess

    from tests.process.harness import coachbot

    full = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("COACHBOT_", "OPENAI_", "TELEGRAM_", "DATABASE_URL"))
    }
    full.update(
        DATABASE_URL=ctx.settings.database_url,
        OPENAI_BASE_URL=double.url,
        COACHBOT_LLM_TIMEOUT="10",
        COACHBOT_LLM_MAX_RETRIES="0",
        COACHBOT_OUTPUT_DIR=ctx.settings.output_dir,
        **env,
    )
    return subprocess.run(
        coachbot() + args, input=stdin, env=full, capture_output=True, text=True, timeout=120
    )


@pytest.mark.slow
async def test_llm_check_reports_the_negotiated_format(ctx, llm_double: LLMDouble) -> None:
    llm_double.behaviours = {"schema_500"}
    res = cli(ctx, llm_double, ["llm", "check"])
    assert res.returncode == 0, res.stderr
    assert "json_object" in res.stdout and "json_schema: HTTP 500" in res.stdout
    # gpt-4o-mini (the default model) is counted with its real tokenizer.
    assert "o200k_base (quicktok)" in res.stdout and "real tokenizer" in res.stdout
    llm_double.behaviours = {"cut_streams"}
    res = cli(ctx, llm_double, ["llm", "check"])
    assert "cut" in res.stdout


@pytest.mark.slow
async def test_drills_regrade_grades_what_was_left_waiting(
    ctx, harness: Harness, online: LLMDouble
) -> None:
    await start_drill(ctx, harness)
    await harness.chat.send(COLLECTOR, "理解您的难处，方便说说情况吗？")
    online.behaviours = {"echo_schema"}
    await harness.chat.send(COLLECTOR, "/end")
    assert drills(ctx)[0].status == DrillStatus.GRADING
    res = cli(ctx, online, ["drills", "regrade"])
    assert res.returncode == 1 and "still waiting (unusable)" in res.stdout
    assert not results(ctx)
    online.behaviours = set()
    res = cli(ctx, online, ["drills", "regrade"])
    assert res.returncode == 0, res.stderr
    assert f"drill {drills(ctx)[0].id}: graded by llm" in res.stdout
    assert drills(ctx)[0].status == DrillStatus.DONE and len(results(ctx)) == 1
    assert "no drill is waiting" in cli(ctx, online, ["drills", "regrade"]).stdout


@pytest.mark.slow
async def test_console_waits_for_a_slow_reply_with_progress(ctx, llm_double: LLMDouble) -> None:
    from alembic import command

    from db.migrate import alembic_config

    seed(ctx)
    command.stamp(alembic_config(ctx.settings.database_url), "head")  # tables made by create_all
    llm_double.push(Reply("嗯……你说吧，我听着。", first_token_delay_s=2.5), purpose="debtor")
    res = cli(
        ctx,
        llm_double,
        ["console", "--as", "C0001"],
        "/roleplay no_money\n您好，最近方便沟通吗？\n",
    )
    assert res.returncode == 0, res.stderr
    assert "waiting for the reply" in res.stdout
    assert "嗯……你说吧，我听着。" in res.stdout and "settle timeout" not in res.stderr
