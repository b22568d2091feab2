"""The rolling summary (coaching/roleplay/summary.py) and the debtor prompt's size in real
tokens at any length."""

from __future__ import annotations

from bot.settings import load_settings
from coaching.llm import LLMClient, reset_formats
from coaching.llm_tokens import counter_for
from coaching.redact import contains_pii
from coaching.roleplay import store
from coaching.roleplay import summary as history
from coaching.roleplay.engine import DEBTOR_BUDGET, FOLD_EVERY, WINDOW, debtor_messages
from coaching.roleplay.scenarios import library
from tests.llm_double import LLMDouble, Reply

QWEN = counter_for("qwen2.5-coder-1.5b-instruct")
C, D = "collector", "debtor"


def test_facts_are_promises_refusals_money_and_dates() -> None:
    f = history.line_facts
    assert f(history.Line(C, "我们可以分期，每月还1000元，15号开始，可以吗？")) == [
        "催收员提出：我们可以分期，每月还1000元，15号开始"
    ]
    assert f(history.Line(D, "好吧，那我15号先还1000。")) == ["债务人答应：那我15号先还1000"]
    assert f(history.Line(D, "下周三发工资，我先还五百块。")) == [
        "债务人答应：下周三发工资，我先还五百块"
    ]
    # 不同意 holds 同意 and 还不起 holds 我还: still refusals.
    assert f(history.Line(D, "我不同意，利息太高了，我还不起。")) == ["债务人拒绝：利息太高了"]
    assert f(history.Line(D, "我真的没钱，不还了！")) == ["债务人拒绝：我真的没钱"]
    assert f(history.Line(C, "您好，我是专员，通话会录音。")) == []
    assert history.keys("债务人答应：那我15号先还1000元") == {"15号", "1000元"}


def _line(i: int) -> history.Line:
    if i % 2:
        return history.Line(D, f"好吧，那我{5 + i % 20}号先还{100 * (i % 9 + 1)}元。")
    return history.Line(C, "我理解您的难处，我们一起看看怎么安排比较好。" * 2)


def test_rule_summary_keeps_every_promise_within_budget() -> None:
    lines = [_line(i) for i in range(40)]
    promises = [f for ln in lines for f in history.line_facts(ln) if history.rank(f) == 3]
    assert len(promises) == 20
    text = ""
    for i in range(0, 40, 4):  # folded four lines at a time, as the engine does
        text = history.rule_summary(text, lines[i : i + 4], QWEN.count)
    assert QWEN.count(text) <= history.SUMMARY_TOKENS
    assert history.missing_facts(text, promises) == []
    # Over a small budget the chatter and proposals go first, the promises last.
    small = history.rule_summary("", lines, QWEN.count, budget=60)
    assert QWEN.count(small) <= 60 and all(it.startswith("债务人答应") for it in small.split("；"))


async def test_llm_summary_gets_lost_facts_back_and_no_pii() -> None:
    reset_formats()
    lines = [
        history.Line(C, "我们可以分期，每月还1000元，15号开始，可以吗？"),
        history.Line(D, "好吧，那我15号先还1000元。"),
    ]
    with LLMDouble() as llm:
        # A model that drops the amount and invents a phone number.
        llm.push(Reply("债务人态度缓和，同意还款，可拨打13812345678联系。"), purpose="summary")
        s = load_settings(
            _env_file=None, OPENAI_BASE_URL=llm.url, OPENAI_API_KEY="k", COACHBOT_LLM_MAX_RETRIES=0
        )
        client = LLMClient(s)
        text, how = await history.summarise(client, "", lines, QWEN.count)
        await client.close()
        [req] = llm.of("summary")
    assert how == "llm"
    assert "15号先还1000元" in text and "1000元" in text
    assert not contains_pii(text) and "13812345678" not in text
    # The model was told which facts to keep.
    assert "必须保留的要点" in req["messages"][-1]["content"]
    assert "债务人答应：那我15号先还1000元" in req["messages"][-1]["content"]


async def test_summary_by_rules_when_the_server_is_down_or_unusable() -> None:
    reset_formats()
    lines = [history.Line(D, "我不同意，利息太高了。"), history.Line(D, "那我20号先还800元。")]
    s = load_settings(
        _env_file=None,
        OPENAI_BASE_URL="http://127.0.0.1:9/v1",
        OPENAI_API_KEY="k",
        COACHBOT_LLM_MAX_RETRIES=0,
    )
    client = LLMClient(s)
    text, how = await history.summarise(client, "", lines, QWEN.count)
    await client.close()
    assert how == "rules"
    assert text == "债务人拒绝：利息太高了；债务人答应：那我20号先还800元"
    with LLMDouble() as llm:
        llm.push(Reply("I'm sorry, but I can't help with that request."), purpose="summary")
        client = LLMClient(s.model_copy(update={"openai_base_url": llm.url}))
        text2, how2 = await history.summarise(client, "", lines, QWEN.count)
        await client.close()
    assert (text2, how2) == (text, "rules")


def test_debtor_prompt_stays_within_2000_real_tokens_at_turn_50() -> None:
    """Long lines (the 240-character clip) for 50 turns, folded as the engine folds."""
    sc = library(None)["no_money"]
    long_c = "我理解您现在的处境，" * 30  # 300 characters, clipped to 240 in the prompt
    long_d = "那我15号先还1000元，剩下的下个月再说，" * 12
    turns: list[store.Turn] = []
    summary, upto, sizes = "", 0, {}
    for turn in range(1, 51):
        turns.append(store.Turn(len(turns) + 1, C, long_c, []))
        msgs = debtor_messages(sc, turns, summary, QWEN)
        sizes[turn] = QWEN.prompt(msgs)
        assert msgs[-1]["role"] == "user"  # the pending line always stays
        turns.append(store.Turn(len(turns) + 1, D, long_d, []))
        outside = len(turns) - WINDOW
        if outside - upto >= FOLD_EVERY:
            old = [history.Line(t.speaker, t.text) for t in turns[upto:outside]]
            summary = history.rule_summary(summary, old, QWEN.count)
            upto = outside
    assert max(sizes.values()) <= DEBTOR_BUDGET, sizes
    assert "15号先还1000元" in summary
    # Without the window and summary the same call is far over budget.
    everything = sum(QWEN.count(t.text) + 4 for t in turns)
    assert everything > 5 * DEBTOR_BUDGET
