"""The LLM client against the local double: streaming, structured-output fallbacks, failures,
and the redaction choke point every call passes."""

from __future__ import annotations

import json

import pytest

from bot.settings import load_settings
from coaching.llm import (
    LLMClient,
    LLMUnavailable,
    MalformedOutput,
    StreamCut,
    estimate_tokens,
    formats,
    reset_formats,
)
from coaching.llm_budget import count_tokens
from coaching.llm_validate import is_refusal, placeholder_problems, snap_quote, wrong_language
from coaching.roleplay.grading import ComplianceVerdict, CriterionGrade
from tests.llm_double import LLMDouble, Reply, llm_double_fixture  # noqa: F401  (fixture)

PII = "客户手机13800138000，身份证11010519491231002X，邮箱a.b@example.com，卡号6222020200001234568"
GRADER_SYS = {"role": "system", "content": "You are grading a debt-collection role-play drill."}


def client(double: LLMDouble, **kw: object) -> LLMClient:
    s = load_settings(
        _env_file=None,
        OPENAI_BASE_URL=double.url,
        OPENAI_API_KEY=None,
        COACHBOT_LLM_MAX_RETRIES=kw.pop("retries", 0),
        **{"COACHBOT_LLM_TIMEOUT": 1, **kw},
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
    msgs = [GRADER_SYS, {"role": "user", "content": "COLLECTOR: 您好\n" + ASK}]
    g = await c.structured("grader", msgs, CriterionGrade)
    assert g.quote == "您好"
    fmt = llm_double.requests[-1]["response_format"]
    assert fmt["type"] == "json_schema" and fmt["json_schema"]["name"] == "CriterionGrade"
    assert fmt["json_schema"]["schema"]["additionalProperties"] is False
    # A server without json_schema support (400): the client falls back and remembers.
    reset_formats()
    llm_double.reject_formats = {"json_schema"}
    c2 = client(llm_double)
    await c2.structured("grader", msgs, CriterionGrade)
    assert format_of(llm_double.requests[-1]) == "json_object+schema"
    assert llm_double.requests[-1]["response_format"]["schema"]["required"] == [
        "score",
        "quote",
        "better_line",
    ]
    await c2.structured("grader", msgs, CriterionGrade)
    assert [format_of(r) for r in llm_double.requests[-3:]] == [
        "json_schema",
        "json_object+schema",
        "json_object+schema",
    ]
    # Neither structured mode: plain text with the schema described in the prompt.
    llm_double.reject_formats = {"json_schema", "json_object"}
    c3 = client(llm_double)
    llm_double.push(Reply("好的：\n```json\n" + default_grade() + "\n```"))
    await c3.structured("grader", msgs, CriterionGrade)
    last = llm_double.requests[-1]
    assert "response_format" not in last and "exactly these keys" in last["messages"][-1]["content"]
    for cl in (c, c2, c3):
        await cl.close()


ASK = "Grade only the criterion: empathy."


def format_of(request: dict) -> str:
    """The response format a request asked for (json_object+schema: with a schema attached)."""
    rf = request.get("response_format") or {"type": "text"}
    return rf["type"] + ("+schema" if "schema" in rf else "")


def default_grade() -> str:
    from tests.llm_double import default_reply

    body = {"messages": [{"content": "COLLECTOR: 您好\n" + ASK}]}
    return default_reply("grader", body).content


async def test_malformed_output_is_repaired_at_a_higher_temperature(
    llm_double: LLMDouble,
) -> None:
    c = client(llm_double)
    msgs = [GRADER_SYS, {"role": "user", "content": "COLLECTOR: 您好\n" + ASK}]
    llm_double.push(Reply('{"score": 1}'), Reply(default_grade()))
    assert (await c.structured("grader", msgs, CriterionGrade)).score == 80
    assert len(llm_double.requests) == 2
    llm_double.push(Reply("{oops"), Reply("[]"), Reply("{}"))
    with pytest.raises(MalformedOutput):
        await c.structured("grader", msgs, CriterionGrade)
    assert len(llm_double.requests) == 5
    temps = [r["temperature"] for r in llm_double.requests[2:]]
    assert temps == sorted(temps) and temps[0] < temps[-1]
    repair = llm_double.requests[-1]["messages"]
    assert repair[-2]["role"] == "assistant" and "cannot be used" in repair[-1]["content"]
    await c.close()


# --- real-server behaviours (tests/llm_double.py BEHAVIOURS) -------------------------------


async def test_llamacpp_500_on_json_schema_falls_back_and_is_remembered(
    llm_double: LLMDouble,
) -> None:
    llm_double.behaviours = {"schema_500"}
    c = client(llm_double)
    msgs = [GRADER_SYS, {"role": "user", "content": "COLLECTOR: 您好\n" + ASK}]
    assert (await c.structured("grader", msgs, CriterionGrade)).score == 80
    assert [format_of(r) for r in llm_double.requests] == ["json_schema", "json_object+schema"]
    assert c.mode == "json_object+schema"
    # The server enforces the shape: the prompt names the keys, with no "string" to copy.
    prompt = llm_double.requests[-1]["messages"][-1]["content"]
    assert "score, quote, better_line" in prompt and '"string"' not in prompt
    # For the life of the process: a new client to the same server and model starts there.
    c2 = client(llm_double)
    await c2.structured("grader", msgs, CriterionGrade)
    assert format_of(llm_double.requests[-1]) == "json_object+schema"
    [(key, info)] = formats().items()
    assert key == (llm_double.url, "gpt-4o-mini") and info["mode"] == "json_object+schema"
    assert info["failed"] == {"json_schema": "HTTP 500"}
    # The override still forces one mode (and then a 500 is an error, not a fallback).
    c3 = client(llm_double, COACHBOT_LLM_STRUCTURED="json_schema")
    with pytest.raises(LLMUnavailable):
        await c3.structured("grader", msgs, CriterionGrade)
    for cl in (c, c2, c3):
        await cl.close()


async def test_400_on_any_response_format_goes_to_text_for_every_client(
    llm_double: LLMDouble,
) -> None:
    llm_double.behaviours = {"format_400"}
    msgs = [GRADER_SYS, {"role": "user", "content": "COLLECTOR: 您好\n" + ASK}]
    c = client(llm_double)
    await c.structured("grader", msgs, CriterionGrade)
    assert len(llm_double.requests) == 4 and "response_format" not in llm_double.requests[-1]
    c2 = client(llm_double)
    await c2.structured("grader", msgs, CriterionGrade)
    assert len(llm_double.requests) == 5  # no second round of 400s
    for cl in (c, c2):
        await cl.close()


async def test_stream_without_finish_reason_is_cut(llm_double: LLMDouble) -> None:
    llm_double.behaviours = {"cut_streams"}
    c = client(llm_double)
    llm_double.push(Reply("我现在真的没有钱，你们"))
    got: list[str] = []
    with pytest.raises(StreamCut) as exc:
        async for p in c.stream("debtor", [{"role": "user", "content": "喂"}]):
            got.append(p)
    assert exc.value.kind == "cut" and exc.value.partial == "".join(got) == "我现在真的没有钱，你们"
    llm_double.behaviours = set()
    assert "".join([p async for p in c.stream("debtor", [{"role": "user", "content": "喂"}])])
    await c.close()


async def test_slow_first_token_fits_the_debtor_budget_not_the_guard_one(
    llm_double: LLMDouble,
) -> None:
    llm_double.behaviours = {"slow_first_token"}
    c = client(
        llm_double,
        COACHBOT_LLM_TIMEOUT=10,
        COACHBOT_LLM_BUDGET_DEBTOR="4,80,0.8",
        COACHBOT_LLM_BUDGET_GUARD="0.5,80,0",
    )
    text = "".join([p async for p in c.stream("debtor", [{"role": "user", "content": "喂"}])])
    assert text and llm_double.requests[-1]["max_tokens"] == 80
    with pytest.raises(LLMUnavailable) as exc:
        async for _ in c.stream("compliance", [{"role": "user", "content": "喂"}]):
            pass
    assert exc.value.kind == "timeout"
    assert c.stats["debtor"].seconds >= 1.4 and c.stats["debtor"].completion_tokens > 0
    await c.close()


async def test_echoed_schema_is_rejected_never_returned(llm_double: LLMDouble) -> None:
    llm_double.behaviours = {"echo_schema"}
    c = client(llm_double)
    msgs = [GRADER_SYS, {"role": "user", "content": "COLLECTOR: 您好\n" + ASK}]
    with pytest.raises(MalformedOutput) as exc:
        await c.structured("grader", msgs, CriterionGrade)
    assert any("placeholder" in p for p in exc.value.problems)
    assert len(llm_double.requests) == 3  # first try and two repairs
    assert c.stats["grader"].retries == 2 and c.stats["grader"].failures == 1
    temps = [r["temperature"] for r in llm_double.requests]
    assert temps[0] < temps[1] < temps[2]
    # The schema worked (the content did not): json_schema is not blamed.
    assert "json_schema" not in formats().get(c.key, {}).get("failed", {})
    await c.close()


async def test_refusal_is_rejected(llm_double: LLMDouble) -> None:
    llm_double.behaviours = {"refuse"}
    c = client(llm_double)
    msgs = [GRADER_SYS, {"role": "user", "content": "COLLECTOR: 您好\n" + ASK}]
    with pytest.raises(MalformedOutput):
        await c.structured("grader", msgs, CriterionGrade, tries=2)
    assert len(llm_double.requests) == 2
    # Refusing is not the format's fault: json_schema is kept and not marked as failed.
    assert [r["response_format"]["type"] for r in llm_double.requests] == ["json_schema"] * 2
    assert "cannot be used: a refusal" in llm_double.requests[-1]["messages"][-1]["content"]
    await c.close()


def test_placeholder_checks() -> None:
    g = CriterionGrade(score=0, quote="string", better_line="better_line")
    assert len(placeholder_problems(g)) == 2
    ok = CriterionGrade(score=70, quote="", better_line="您看15号先还1000元可以吗？")
    assert placeholder_problems(ok) == []
    assert placeholder_problems(ok, examples=["您看15号先还1000元可以吗"])
    assert wrong_language("I cannot pay now.", "zh_CN") and not wrong_language("好的 OK", "zh_CN")
    assert is_refusal("I'm sorry, but I can't help with that.") and is_refusal("作为AI语言模型，我")
    assert not is_refusal("我无法提供收入证明，真的没有工作了。")


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


def test_token_estimate_is_not_low_for_english_or_chinese() -> None:
    english = "I understand this is difficult; could you pay 500 yuan on the 15th?"
    # chars/4 gives 16 here; SmolLM2's tokenizer (llama.cpp) counts 22.
    assert 18 <= estimate_tokens(english) <= 26
    assert estimate_tokens("你好世界") >= 4
    assert estimate_tokens("") == 0
    assert count_tokens("hello world", "some-local-model") == estimate_tokens("hello world")


def test_quotes_snap_to_the_trainees_line_or_are_refused() -> None:
    lines = ["您好，我是XX资产的专员，今天来电是想和您商量还款安排。", "您看每月先还1000元可以吗？"]
    assert snap_quote("“商量还款安排”", lines) == "商量还款安排"  # exact, marks stripped
    assert snap_quote("<<<您看每月先还1000元可以吗>>>", lines) == "您看每月先还1000元可以吗"
    # One character dropped or changed: the whole line the model was copying.
    assert snap_quote("我是XX资产专员，今天来电是想和您商量还款安排", lines) == lines[0]
    assert snap_quote("您看每月先还1000块可以吗", lines) == lines[1]
    # Someone else's words (the debtor's), an invention, or too short to tell: refused.
    assert snap_quote("我真的没有钱，下个月再说吧", lines) is None
    assert snap_quote("我们会起诉您并通知您的单位", lines) is None
    assert snap_quote("还钱吧", lines) is None
    assert snap_quote("", lines) == ""
