"""A small model's debtor lines that copy the prompt's directions or parrot the collector
(seen on Qwen2.5-Coder-1.5B on llama.cpp) are cut or asked for again; the role's own facts
and opening line are never mistaken for a leak."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from coaching.llm_validate import cut_leak, parrots
from coaching.roleplay.engine import REPAIR, _instructions, debtor_messages
from coaching.roleplay.scenarios import library
from db.models import DrillTurn
from tests.conftest import Harness
from tests.llm_double import LLMDouble, Reply, llm_double_fixture, online_fixture  # noqa: F401
from tests.roleplay_helpers import COLLECTOR, seed


def test_the_observed_leak_is_cut_and_the_roles_words_are_kept() -> None:
    sc = library()["no_money"]
    inst = _instructions(sc, debtor_messages(sc, [], ""))
    seen = "我最近被公司裁员，现在靠打零工（只有当催收员认真、礼貌地问到相关话题时才"
    assert cut_leak(seen, inst) == "我最近被公司裁员，现在靠打零工"
    assert cut_leak("哎，你们别天天打电话了。", inst) == "哎，你们别天天打电话了。"


@pytest.mark.parametrize("name", sorted(library()))
def test_no_scenarios_facts_or_opening_read_as_a_leak(name: str) -> None:
    sc = library()[name]
    inst = _instructions(sc, debtor_messages(sc, [], ""))
    for said in [f.fact for f in sc.hidden_facts] + [sc.script.opening]:
        assert cut_leak(said, inst) == said


def test_parroting_is_told_from_answering() -> None:
    line = "理解您的难处，方便说说现在的收入情况吗？"
    assert parrots("理解您的难处，方便说说现在收入情况吗", line)
    assert not parrots("收入？我现在就靠打零工，一个月两千多。", line)
    assert not parrots("嗯。", line)


async def test_leaked_directions_never_reach_the_stored_line(
    ctx, harness: Harness, online: LLMDouble
) -> None:
    seed(ctx)
    await harness.chat.send(COLLECTOR, "/roleplay no_money")
    leak = "我现在靠打零工（只有当催收员认真、礼貌地问到相关话题时才透露）"
    online.push(Reply(leak), purpose="debtor")
    await harness.chat.send(COLLECTOR, "理解您的难处，方便说说现在的收入情况吗？")
    with ctx.db.session() as s:
        said = [t.text for t in s.execute(select(DrillTurn)).scalars() if t.speaker == "debtor"]
    assert said[-1] == "我现在靠打零工" and not any("只有当" in t for t in said)


async def test_a_debtor_looping_on_its_opening_line_is_asked_again(
    ctx, harness: Harness, online: LLMDouble
) -> None:
    """Seen on Qwen2.5-1.5B: the scenario's opening line as every answer."""
    seed(ctx)
    await harness.chat.send(COLLECTOR, "/roleplay no_money")
    opening = library()["no_money"].script.opening
    online.push(Reply(opening), Reply("十五号？我得看看那天钱到没到。"), purpose="debtor")
    await harness.chat.send(COLLECTOR, "您好，我们商量一下还款时间好吗？")
    with ctx.db.session() as s:
        said = [t.text for t in s.execute(select(DrillTurn)).scalars() if t.speaker == "debtor"]
    assert said[-1] == "十五号？我得看看那天钱到没到。" and said.count(opening) <= 1
    # Asked again with what was wrong: Qwen2.5-1.5B gave the same line to the same prompt.
    first, second = online.of("debtor")[-2:]
    assert (
        first["messages"][-1]["role"] != "system"
        or "不要重复" not in first["messages"][-1]["content"]
    )
    assert second["messages"][-1] == {"role": "system", "content": REPAIR["repeat"]}


async def test_a_debtor_parroting_the_collector_is_told_so(
    ctx, harness: Harness, online: LLMDouble
) -> None:
    seed(ctx)
    await harness.chat.send(COLLECTOR, "/roleplay no_money")
    line = "理解您的难处，方便说说现在的收入情况吗？"
    online.push(Reply(line), Reply("收入？我现在就靠打零工，一个月两千多。"), purpose="debtor")
    await harness.chat.send(COLLECTOR, line)
    assert online.of("debtor")[-1]["messages"][-1]["content"] == REPAIR["parrot"]
