"""A local OpenAI-compatible server for tests and the benchmark (real HTTP, real SDK).

Starlette + uvicorn on 127.0.0.1 (random port) in a background thread, implementing
`POST /v1/chat/completions`: plain and SSE-streamed answers (`data: {...}` chunks ending with
`data: [DONE]`), `response_format` json_schema / json_object, scripted replies per purpose and
fault injection (any status with Retry-After, slow answers for timeouts, malformed JSON,
servers that reject a response format). Every request body is recorded.

    with LLMDouble() as llm:
        llm.push(Reply("好吧，15号还2000。[[DEAL]]"), purpose="debtor")
        settings.openai_base_url = llm.url
"""

from __future__ import annotations

import asyncio
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


def purpose_of(body: dict[str, Any]) -> str:
    """Which prompt this is, from its system message (the prompts' own wording)."""
    system = " ".join(m["content"] for m in body.get("messages", []) if m["role"] == "system")
    if "grading a debt-collection role-play" in system:
        return "grader"
    if "compliance officer" in system:
        return "compliance"
    if "team coach" in system:
        return "coach"
    if "通话记录员" in system:
        return "summary"
    return "debtor"


def collector_lines(body: dict[str, Any]) -> list[str]:
    last = body["messages"][-1]["content"]
    return [ln[len("COLLECTOR: ") :] for ln in last.splitlines() if ln.startswith("COLLECTOR: ")]


def default_reply(purpose: str, body: dict[str, Any]) -> Reply:
    if purpose == "compliance":
        return Reply(
            json.dumps({"violation": False, "rule": "none", "severity": "none", "reason": ""})
        )
    if purpose == "grader":
        lines = collector_lines(body) or [""]
        crit = {"score": 80, "quote": lines[0], "better_line": "我理解您的难处，我们一起想办法。"}
        card = {
            k: crit for k in ("compliance", "empathy", "negotiation", "problem_solving", "outcome")
        }
        return Reply(
            json.dumps(
                {**card, "summary": "整体沟通礼貌，可以更早提出具体方案。"}, ensure_ascii=False
            )
        )
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
    return Reply("哎，我再想想吧，现在手头真的紧。")


@dataclass
class LLMDouble:
    requests: list[dict[str, Any]] = field(default_factory=list)
    # Formats answered with 400, like servers without structured output.
    reject_formats: set[str] = field(default_factory=set)
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
        return default_reply(purpose, body)

    async def _completions(self, request: Request) -> Response:
        body = await request.json()
        self.requests.append(body)
        fmt = (body.get("response_format") or {}).get("type", "text")
        if fmt in self.reject_formats:
            return JSONResponse(
                {"error": {"message": f"response_format {fmt} unsupported", "type": "invalid"}},
                status_code=400,
            )
        reply = self._next(purpose_of(body), body)
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
                        "finish_reason": "stop",
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
        text = reply.content
        for i in range(0, len(text), reply.chunk_chars):
            if reply.chunk_delay_s:
                await asyncio.sleep(reply.chunk_delay_s)
            yield chunk({"content": text[i : i + reply.chunk_chars]})
        yield chunk({}, "stop")
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


def _serve(port: int, replies: str) -> None:
    d = LLMDouble(responder=bench_reply if replies == "bench" else demo_reply)
    app = Starlette(routes=[Route("/v1/chat/completions", d._completions, methods=["POST"])])
    print(f"LLM double on http://127.0.0.1:{port}/v1", flush=True)
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")


if __name__ == "__main__":
    import argparse

    ap = argparse.ArgumentParser(description="Local OpenAI-compatible double (demo replies)")
    ap.add_argument("--port", type=int, default=8765)
    ap.add_argument("--replies", choices=["demo", "bench"], default="demo")
    args = ap.parse_args()
    _serve(args.port, args.replies)
