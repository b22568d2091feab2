"""The LLM client against the local double: streaming, structured-output fallbacks, failures,
and the redaction choke point every call passes."""

from __future__ import annotations

import json

import pytest

from bot.settings import load_settings
from coaching.llm import LLMClient, LLMUnavailable, MalformedOutput, estimate_tokens
from coaching.roleplay.grading import ComplianceVerdict, Scorecard
from tests.llm_double import LLMDouble, Reply, llm_double_fixture  # noqa: F401  (fixture)

PII = "客户手机13800138000，身份证11010519491231002X，邮箱a.b@example.com，卡号6222020200001234568"
GRADER_SYS = {"role": "system", "content": "You are grading a debt-collection role-play drill."}


def client(double: LLMDouble, **kw: object) -> LLMClient:
    s = load_settings(
        _env_file=None,
        OPENAI_BASE_URL=double.url,
        OPENAI_API_KEY=None,
        COACHBOT_LLM_TIMEOUT=1,
        COACHBOT_LLM_MAX_RETRIES=kw.pop("retries", 0),
        **kw,
    )
    return LLMClient(s)


def assert_clean(double: LLMDouble) -> None:
    raw = json.dumps(double.requests, ensure_ascii=False)
    for bad in ["13800138000", "11010519491231002X", "a.b@example.com", "6222020200001234568"]:
        assert bad not in raw


async def test_stream_and_bot_sized_timeouts(llm_double: LLMDouble) -> None:
    c = client(llm_double)
    assert c.client.max_retries == 0
    assert c.client.timeout.connect == 1.0 and c.client.timeout.read == 1.0
    llm_double.push(Reply("你好，我是王先生。", chunk_chars=2))
    parts = [p async for p in c.stream("debtor", [{"role": "user", "content": PII}])]
    assert "".join(parts) == "你好，我是王先生。" and len(parts) >= 4
    assert llm_double.requests[-1]["stream"] is True
    assert llm_double.requests[-1]["model"] == "gpt-4o-mini"
    assert_clean(llm_double)
    await c.close()


async def test_every_call_path_redacts(llm_double: LLMDouble) -> None:
    c = client(llm_double)
    msgs = [
        {"role": "system", "content": "You are a compliance officer. " + PII},
        {"role": "user", "content": PII},
    ]
    await c.complete("summary", msgs)
    await c.structured("compliance", msgs, ComplianceVerdict)
    [_ async for _ in c.stream("debtor", msgs)]
    assert len(llm_double.requests) == 3
    assert_clean(llm_double)
    await c.close()


async def test_json_schema_then_json_mode_then_text(llm_double: LLMDouble) -> None:
    c = client(llm_double)
    msgs = [GRADER_SYS, {"role": "user", "content": "COLLECTOR: 您好"}]
    card = await c.structured("grader", msgs, Scorecard)
    assert card.empathy.quote == "您好"
    fmt = llm_double.requests[-1]["response_format"]
    assert fmt["type"] == "json_schema" and fmt["json_schema"]["name"] == "Scorecard"
    # A server without json_schema support (400): the client falls back and remembers.
    llm_double.reject_formats = {"json_schema"}
    c2 = client(llm_double)
    await c2.structured("grader", msgs, Scorecard)
    assert llm_double.requests[-1]["response_format"] == {"type": "json_object"}
    await c2.structured("grader", msgs, Scorecard)
    assert [r.get("response_format", {}).get("type") for r in llm_double.requests[-3:]] == [
        "json_schema",
        "json_object",
        "json_object",
    ]
    # Neither structured mode: plain text with the schema described in the prompt.
    llm_double.reject_formats = {"json_schema", "json_object"}
    c3 = client(llm_double)
    llm_double.push(Reply("好的：\n```json\n" + llm_double_default_grader() + "\n```"))
    await c3.structured("grader", msgs, Scorecard)
    last = llm_double.requests[-1]
    assert "response_format" not in last and "exactly these keys" in last["messages"][-1]["content"]
    for cl in (c, c2, c3):
        await cl.close()


def llm_double_default_grader() -> str:
    from tests.llm_double import default_reply

    return default_reply("grader", {"messages": [{"content": "COLLECTOR: 您好"}]}).content


async def test_malformed_output_gets_one_retry(llm_double: LLMDouble) -> None:
    c = client(llm_double)
    msgs = [GRADER_SYS, {"role": "user", "content": "COLLECTOR: 您好"}]
    llm_double.push(Reply('{"compliance": 1}'), Reply(llm_double_default_grader()))
    assert (await c.structured("grader", msgs, Scorecard)).outcome.score == 80
    assert len(llm_double.requests) == 2
    llm_double.push(Reply("{oops"), Reply("[]"))
    with pytest.raises(MalformedOutput):
        await c.structured("grader", msgs, Scorecard)
    assert len(llm_double.requests) == 4
    await c.close()


@pytest.mark.parametrize(
    ("reply", "kind"),
    [
        (Reply(status=429, retry_after=0), "rate_limit"),
        (Reply(status=500), "server"),
        (Reply(status=503), "server"),
        (Reply(delay_s=2.0), "timeout"),
    ],
)
async def test_failures_become_friendly_kinds(
    llm_double: LLMDouble, reply: Reply, kind: str
) -> None:
    c = client(llm_double)
    llm_double.push(reply)
    with pytest.raises(LLMUnavailable) as exc:
        [_ async for _ in c.stream("debtor", [{"role": "user", "content": "喂"}])]
    assert exc.value.kind == kind
    await c.close()


async def test_retries_are_deliberate(llm_double: LLMDouble) -> None:
    c = client(llm_double, retries=1)
    llm_double.push(Reply(status=500))
    assert await c.complete("summary", [{"role": "user", "content": "x"}])
    assert len(llm_double.requests) == 2  # one failure, one retry


async def test_connection_refused() -> None:
    s = load_settings(
        _env_file=None, OPENAI_BASE_URL="http://127.0.0.1:9/v1", COACHBOT_LLM_MAX_RETRIES=0
    )
    c = LLMClient(s)
    with pytest.raises(LLMUnavailable) as exc:
        await c.complete("summary", [{"role": "user", "content": "x"}])
    assert exc.value.kind == "connection"
    await c.close()


def test_token_estimate_counts_cjk_per_character() -> None:
    assert estimate_tokens("你好世界") == 4
    assert estimate_tokens("hello world!") == 3
    assert estimate_tokens("") == 0
