"""A local OpenAI-compatible server for tests and the benchmark (real HTTP, real SDK).

Starlette + uvicorn on 127.0.0.1 (random port) in a background thread, implementing
`POST /v1/chat/completions`: plain and SSE-streamed answers (`data: {...}` chunks ending with
`data: [DONE]`), `response_format` json_schema / json_object, scripted replies per purpose and
fault injection (any status with Retry-After, slow answers for timeouts, malformed JSON,
servers that reject a response format). Every request body is recorded.

`behaviours` switches on what real servers and small models do (see BEHAVIOURS); a pushed
`Reply` can do the same once (`finish_reason=None`, `first_token_delay_s`).

    with LLMDouble() as llm:
        llm.push(Reply("好吧，15号还2000。[[DEAL]]"), purpose="debtor")
        settings.openai_base_url = llm.url
"""

from __future__ import annotations

import asyncio
import itertools
import json
import socket
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route


@dataclass
class Reply:
    content: str = ""
    status: int = 200
    delay_s: float = 0.0
    retry_after: int | None = None
    chunk_chars: int = 3
    chunk_delay_s: float = 0.0  # pause between SSE chunks (a slow, streaming model)
    first_token_delay_s: float = 0.0  # headers at once, the first token after this
    finish_reason: str | None = "stop"  # None: the stream ends with [DONE] and no reason


BEHAVIOURS = {
    "schema_500": "json_schema answered with HTTP 500 (llama.cpp's server)",
    "format_400": "any response_format answered with HTTP 400 (older compatible servers)",
    "cut_streams": "streams end with [DONE] and no finish_reason (an interrupted llama.cpp slot)",
    "slow_first_token": "streams start at once but the first token comes after 1.5 s",
    "echo_schema": "structured answers echo the JSON skeleton of the prompt (string values)",
    "wrong_language": "answers in English whatever the prompt's language",
    "refuse": "answers with a refusal",
    "near_quotes": "grading quotes copy the trainee's line with one character dropped "
    "(Qwen2.5-1.5B on llama.cpp)",
    "few_tips": "coaching answers hold one tip (and an empty one) however often asked for three "
    "(Qwen2.5-1.5B on llama.cpp)",
    "one_better_line": "every grading answer gives the same better line, whatever the "
    "criterion and however often asked again (Qwen2.5-1.5B on llama.cpp)",
}
FEW_TIP = "每通电话结束前都约定一个具体的还款日期。"
ONE_BETTER_LINE = "我理解您现在的困难，我们一起商量一个您能承受的还款计划。"
SLOW_FIRST_TOKEN_S = 1.5
REFUSAL = "I'm sorry, but I can't help with that request."


def purpose_of(body: dict[str, Any]) -> str:
    """Which prompt this is, from its system message (the prompts' own wording)."""
    system = " ".join(m["content"] for m in body.get("messages", []) if m["role"] == "system")
    if "grading a debt-collection role-play" in system:
        return "grader"
    if "compliance officer" in system:
        return "compliance"
    if "against ONE rule" in system:
        return "confirm"
    if "team coach" in system:
        return "coach"
    if "通话记录员" in system:
        return "summary"
    return "debtor"


def grader_target(body: dict[str, Any]) -> str:
    """The criterion a grading call asks for ("summary" for the closing sentence)."""
    import re

    last = body["messages"][-1]["content"]
    m = re.search(r"Grade only the criterion: (\w+)", last)
    return m.group(1) if m else ("summary" if "Write the summary" in last else "")


def echo_skeleton(body: dict[str, Any]) -> str:
    """What a small model answers when it copies the schema it was given: type names as
    values, from the response_format's schema or the skeleton in the prompt."""
    import re

    rf = body.get("response_format") or {}
    schema = rf.get("schema") or (rf.get("json_schema") or {}).get("schema")
    if schema:
        fill = {"string": "string", "integer": 0, "number": 0.0, "boolean": False}

        def value(prop: dict[str, Any]) -> Any:
            if prop.get("type") == "array":
                return [value(prop.get("items", {}))]
            return fill.get(prop.get("type", "string"), "string")

        return json.dumps({k: value(p) for k, p in schema.get("properties", {}).items()})
    for m in reversed(body["messages"]):
        hit = re.search(r"replace each type with real content\):\n(\{.*\})", m["content"], re.S)
        if hit:
            return hit.group(1)
    return "{}"


def english_reply(purpose: str, body: dict[str, Any]) -> Reply:
    if purpose == "grader":
        target = grader_target(body)
        if target == "summary":
            return Reply(json.dumps({"summary": "Polite call, the plan came late."}))
        lines = collector_lines(body) or [""]
        return Reply(
            json.dumps(
                {"score": 70, "quote": lines[0], "better_line": "I understand, shall we plan?"}
            )
        )
    if purpose == "coach":
        return Reply(json.dumps({"tips": ["Review calls.", "Offer a date.", "Follow up at 9."]}))
    if purpose == "compliance":
        return default_reply(purpose, body)
    return Reply("I really do not have the money right now, sorry.")


def _drop_a_character(text: str) -> str:
    """A grading answer whose quote lost its middle character, as a small model copies."""
    try:
        obj = json.loads(text)
    except ValueError:
        return text
    q = obj.get("quote") if isinstance(obj, dict) else None
    if isinstance(q, str) and len(q) > 4:
        obj["quote"] = q[: len(q) // 2] + q[len(q) // 2 + 1 :]
    return json.dumps(obj, ensure_ascii=False)


def _same_better_line(text: str) -> str:
    try:
        obj = json.loads(text)
    except ValueError:
        return text
    if isinstance(obj, dict) and "better_line" in obj:
        obj["better_line"] = ONE_BETTER_LINE
    return json.dumps(obj, ensure_ascii=False)


def collector_lines(body: dict[str, Any]) -> list[str]:
    last = body["messages"][-1]["content"]
    labels = ("COLLECTOR: ", "催收员：")
    return [ln[len(lb) :] for ln in last.splitlines() for lb in labels if ln.startswith(lb)]


GOOD_SUMMARY = "整体沟通礼貌，可以更早提出具体方案。"
GOOD_LINES = {
    "compliance": "我是XX资产的专员，今天来电是想和您商量还款安排。",
    "empathy": "听起来您最近压力很大，先别着急，我们慢慢说。",
    "negotiation": "您看每月先还1000元，15号开始，可以吗？",
    "problem_solving": "方便说说现在的收入情况吗？我好帮您找合适的方案。",
    "outcome": "那我们就定15号先还1000元，我到时候提前一天提醒您。",
}


def default_reply(purpose: str, body: dict[str, Any]) -> Reply:
    if purpose == "confirm":
        return Reply("Yes")  # a finding the double raised, it confirms
    if purpose == "compliance":
        return Reply(
            json.dumps(
                {"violation": False, "rule": "none", "severity": "none", "quote": "", "reason": ""}
            )
        )
    if purpose == "grader":
        target = grader_target(body)
        if target == "summary":
            return Reply(json.dumps({"summary": GOOD_SUMMARY}, ensure_ascii=False))
        lines = collector_lines(body) or [""]
        crit = {"score": 80, "quote": lines[0], "better_line": GOOD_LINES.get(target, "")}
        return Reply(json.dumps(crit, ensure_ascii=False))
    if purpose == "coach":
        return Reply(
            json.dumps(
                {
                    "tips": [
                        "先复盘投诉录音。",
                        "每通电话都提出具体金额和日期。",
                        "9点先跟进承诺还款案件。",
                    ]
                },
                ensure_ascii=False,
            )
        )
    if purpose == "summary":
        return Reply("债务人称没钱，催收员表示理解并询问了收入情况。")
    # A model says something new each turn (a debtor repeating its last lines is refused).
    return Reply(DEBTOR_LINES[next(_DEBTOR_TURN) % len(DEBTOR_LINES)])


_DEBTOR_TURN = itertools.count()
DEBTOR_LINES = (
    "哎，我再想想吧，现在手头真的紧。",
    "这个月工资还没发，下旬再说行吗？",
    "你们的方案我得跟家里商量一下。",
    "我不是不想还，是真的周转不开。",
    "那最少要还多少？",
    "分期的话每个月多少？",
    "我下周能先凑一点。",
    "别老打电话了，我在上班。",
)


@dataclass
class LLMDouble:
    requests: list[dict[str, Any]] = field(default_factory=list)
    # Formats answered with `reject_status`, like servers without structured output.
    reject_formats: set[str] = field(default_factory=set)
    reject_status: int = 400
    behaviours: set[str] = field(default_factory=set)  # names from BEHAVIOURS
    # Grader answers per criterion ({"empathy": {"score":…, "quote":…, "better_line":…},
    # "summary": "…"}); missing ones get the default.
    scorecard: dict[str, Any] | None = None
    responder: Callable[[str, dict[str, Any]], Reply] | None = None
    _script: list[tuple[str | None, Reply]] = field(default_factory=list)
    url: str = ""
    _server: uvicorn.Server | None = None
    _thread: threading.Thread | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def push(self, *replies: Reply, purpose: str | None = None) -> None:
        """Queue replies for the next requests of `purpose` (any purpose when None)."""
        with self._lock:
            self._script.extend((purpose, r) for r in replies)

    def of(self, purpose: str) -> list[dict[str, Any]]:
        return [r for r in self.requests if purpose_of(r) == purpose]

    def _next(self, purpose: str, body: dict[str, Any]) -> Reply:
        with self._lock:
            for i, (p, r) in enumerate(self._script):
                if p is None or p == purpose:
                    del self._script[i]
                    return r
        if self.responder is not None:
            return self.responder(purpose, body)
        if purpose == "grader" and self.scorecard is not None:
            target = grader_target(body)
            if target in self.scorecard:
                value = self.scorecard[target]
                if target == "summary":
                    value = {"summary": value}
                return Reply(json.dumps(value, ensure_ascii=False))
        return default_reply(purpose, body)

    def _behave(self, purpose: str, body: dict[str, Any], reply: Reply) -> Reply:
        """The selected real-server behaviours applied to the scripted reply."""
        b = self.behaviours
        structured = purpose in ("grader", "compliance", "coach")
        if "refuse" in b:
            reply = Reply(REFUSAL)
        elif "echo_schema" in b and structured:
            reply = Reply(echo_skeleton(body))
        elif "wrong_language" in b:
            reply = english_reply(purpose, body)
        if "near_quotes" in b and purpose == "grader":
            reply.content = _drop_a_character(reply.content)
        if "few_tips" in b and purpose == "coach":
            reply = Reply(json.dumps({"tips": [FEW_TIP, ""]}, ensure_ascii=False))
        if "one_better_line" in b and purpose == "grader":
            reply.content = _same_better_line(reply.content)
        if "cut_streams" in b and body.get("stream"):
            reply.finish_reason = None
        if "slow_first_token" in b:
            reply.first_token_delay_s = max(reply.first_token_delay_s, SLOW_FIRST_TOKEN_S)
        return reply

    async def _completions(self, request: Request) -> Response:
        body = await request.json()
        self.requests.append(body)
        fmt = (body.get("response_format") or {}).get("type", "text")
        if fmt == "json_schema" and "schema_500" in self.behaviours:
            # llama-cpp-python 0.3.x: an internal error, not a 4xx.
            return JSONResponse(
                {"error": {"message": "'json_schema'", "type": "internal_server_error"}},
                status_code=500,
            )
        if fmt != "text" and "format_400" in self.behaviours:
            return JSONResponse(
                {"error": {"message": f"unknown response_format {fmt}", "type": "invalid"}},
                status_code=400,
            )
        if fmt in self.reject_formats:
            return JSONResponse(
                {"error": {"message": f"response_format {fmt} unsupported", "type": "invalid"}},
                status_code=self.reject_status,
            )
        purpose = purpose_of(body)
        reply = self._behave(purpose, body, self._next(purpose, body))
        if reply.delay_s:
            await asyncio.sleep(reply.delay_s)
        if reply.status != 200:
            headers = (
                {"retry-after": str(reply.retry_after)} if reply.retry_after is not None else {}
            )
            return JSONResponse(
                {"error": {"message": "injected", "type": "server_error"}},
                status_code=reply.status,
                headers=headers,
            )
        base = {
            "id": f"chatcmpl-{len(self.requests)}",
            "created": int(time.time()),
            "model": body.get("model", "double"),
        }
        if body.get("stream"):
            return StreamingResponse(self._sse(base, reply), media_type="text/event-stream")
        return JSONResponse(
            {
                **base,
                "object": "chat.completion",
                "choices": [
                    {
                        "index": 0,
                        "finish_reason": reply.finish_reason or "stop",
                        "logprobs": None,
                        "message": {"role": "assistant", "content": reply.content, "refusal": None},
                    }
                ],
                "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
            }
        )

    async def _sse(self, base: dict[str, Any], reply: Reply) -> AsyncIterator[bytes]:
        def chunk(delta: dict[str, Any], finish: str | None = None) -> bytes:
            data = {
                **base,
                "object": "chat.completion.chunk",
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
            }
            return f"data: {json.dumps(data, ensure_ascii=False)}\n\n".encode()

        yield chunk({"role": "assistant", "content": ""})
        if reply.first_token_delay_s:
            await asyncio.sleep(reply.first_token_delay_s)
        text = reply.content
        for i in range(0, len(text), reply.chunk_chars):
            if reply.chunk_delay_s:
                await asyncio.sleep(reply.chunk_delay_s)
            yield chunk({"content": text[i : i + reply.chunk_chars]})
        if reply.finish_reason is not None:
            yield chunk({}, reply.finish_reason)
        yield b"data: [DONE]\n\n"

    # --- lifecycle ------------------------------------------------------------------------

    def start(self) -> LLMDouble:
        app = Starlette(routes=[Route("/v1/chat/completions", self._completions, methods=["POST"])])
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        config = uvicorn.Config(
            app, log_level="warning", lifespan="off", timeout_graceful_shutdown=1
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [sock]}, daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("LLM double did not start")
            time.sleep(0.01)
        self.url = f"http://127.0.0.1:{port}/v1"
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> LLMDouble:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()


@pytest.fixture(name="llm_double")
def llm_double_fixture() -> Iterator[LLMDouble]:
    from coaching.llm import reset_formats

    reset_formats()  # ports are reused across tests: forget what the last server could do
    with LLMDouble() as d:
        yield d


@pytest.fixture(name="online")
async def online_fixture(ctx: Any, llm_double: LLMDouble) -> AsyncIterator[LLMDouble]:
    """Point the test's AppContext at the double (short timeout, no SDK retries)."""
    ctx.settings = ctx.settings.model_copy(
        update={
            "openai_base_url": llm_double.url,
            "openai_api_key": "test-key",
            "llm_timeout_s": 1.0,
            "llm_max_retries": 0,
        }
    )
    yield llm_double
    client = ctx.extras.pop("llm", None)
    ctx.extras.pop("roleplay", None)
    if client is not None:
        await client.close()


# --- standalone: `python -m tests.llm_double --port 8765` for the console and the bench ----

DEMO_DEBTOR = [
    "你们怎么又打来了……我现在真的拿不出钱。",
    "唉，上个月厂里裁员，我现在靠打零工过日子。",
    "每个月能拿出来的也就一两千吧，再多真没有。",
    "15号有一笔补偿金到账，到时候可以先还一部分。",
]


def demo_reply(purpose: str, body: dict[str, Any]) -> Reply:
    """Plausible answers for trying the bot by hand: the debtor agrees once offered an amount
    and a date, hangs up on a threat."""
    if purpose != "debtor":
        return default_reply(purpose, body)
    last = body["messages"][-1]["content"]
    n = sum(1 for m in body["messages"] if m["role"] == "assistant")
    if any(w in last for w in ("单位找你", "派人", "公安", "坐牢")):
        return Reply("你这是威胁我？我要投诉你！[[HANGUP]]")
    if any(w in last for w in ("元", "块")) and any(w in last for w in ("号", "明天", "月底")):
        return Reply("好吧……那就按你说的办，我尽量按时还。[[DEAL]]")
    return Reply(DEMO_DEBTOR[min(n, len(DEMO_DEBTOR)) - 1 if n else 0], chunk_chars=4)


BENCH_DEBTOR = "唉，我每个月工资就四千多，扣掉房租和吃饭真的剩不下多少，你们也体谅一下我的难处吧。"


def bench_reply(purpose: str, body: dict[str, Any]) -> Reply:
    """Long-winded debtor and summaries: the worst case for the prompt budget."""
    if purpose == "debtor":
        return Reply(BENCH_DEBTOR, chunk_chars=6)
    if purpose == "summary":
        return Reply("摘要：债务人月薪四千多，愿意分期但担心还不上，催收员表示理解并询问收入。")
    return default_reply(purpose, body)


def _serve(port: int, replies: str, behaviours: set[str]) -> None:
    d = LLMDouble(
        responder=bench_reply if replies == "bench" else demo_reply, behaviours=behaviours
    )
    app = Starlette(routes=[Route("/v1/chat/completions", d._completions, methods=["POST"])])
    print(f"LLM double on http://127.0.0.1:{port}/v1", flush=True)
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")


if __name__ == "__main__":
    import argparse

    ap = argparse.ArgumentParser(description="Local OpenAI-compatible double (demo replies)")
    ap.add_argument("--port", type=int, default=8765)
    ap.add_argument("--replies", choices=["demo", "bench"], default="demo")
    ap.add_argument(
        "--behave",
        default="",
        help="comma-separated real-server behaviours: " + ", ".join(BEHAVIOURS),
    )
    args = ap.parse_args()
    chosen = {b for b in args.behave.split(",") if b}
    if chosen - set(BEHAVIOURS):
        ap.error(f"unknown behaviour(s): {', '.join(sorted(chosen - set(BEHAVIOURS)))}")
    _serve(args.port, args.replies, chosen)
