"""Scenario personas are fiction: their pseudonyms ("王先生") reach the LLM as written, while a
real debtor's name or number that a collector types is still redacted (same prompt, real
HTTP to the local OpenAI-compatible double)."""

from __future__ import annotations

import json

from sqlalchemy import select

from coaching.redact import redact
from coaching.roleplay.scenarios import library, persona_names
from db.models import DrillTurn
from tests.conftest import Harness
from tests.llm_double import (  # noqa: F401  (fixtures)
    LLMDouble,
    Reply,
    llm_double_fixture,
    online_fixture,
)
from tests.roleplay_helpers import COLLECTOR, seed

REAL_NAME = "欧阳建华"
REAL_PHONE = "139 1234 5678"


def test_persona_names_come_from_the_scenarios() -> None:
    names = persona_names()
    assert "王先生" in names and "刘女士" in names
    assert set(names) >= {sc.persona.pseudonym for sc in library().values()}


def test_keep_spares_only_the_fixed_names() -> None:
    text = f"王先生您好，{REAL_NAME}先生让我找您，张先生也在"
    out = redact(text, keep=persona_names())
    assert out.startswith("王先生您好")
    assert REAL_NAME not in out and "张先生" not in out and "[姓名" in out
    # Without the allow-list, the persona is a name like any other.
    assert "王先生" not in redact(text)


async def test_persona_reaches_the_llm_and_the_debtor_name_does_not(
    ctx, harness: Harness, online: LLMDouble
) -> None:
    seed(ctx)
    await harness.chat.send(COLLECTOR, "/roleplay no_money")
    online.push(Reply("我就是王先生，什么事？"), purpose="debtor")
    [reply] = await harness.chat.send(
        COLLECTOR, f"王先生您好，{REAL_NAME}是您的什么人？他的电话{REAL_PHONE}打不通"
    )
    assert reply.text.endswith("我就是王先生，什么事？")
    [debtor] = online.of("debtor")
    system = debtor["messages"][0]["content"]
    assert "王先生" in system and "[姓名" not in system
    sent = json.dumps(online.requests, ensure_ascii=False)
    assert REAL_NAME not in sent and "13912345678" not in sent and REAL_PHONE not in sent
    collector = [m["content"] for m in debtor["messages"] if m["role"] == "user"][-1]
    assert collector.startswith("王先生您好") and "[姓名1]" in collector
    assert "[手机1]" in collector
    with ctx.db.session() as s:
        stored = [t.text for t in s.execute(select(DrillTurn)).scalars()]
    assert any("王先生您好" in t for t in stored)
    assert not any(REAL_NAME in t for t in stored)
    assert any("我就是王先生" in t for t in stored)  # the debtor's line keeps the persona too
