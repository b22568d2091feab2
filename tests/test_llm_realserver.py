"""Opt-in: a whole drill against a real OpenAI-compatible server (llama.cpp, Ollama, vLLM…).

    COACHBOT_TEST_LLM_BASE_URL=http://127.0.0.1:8080/v1 \\
    COACHBOT_TEST_LLM_MODEL=qwen2.5-coder-1.5b-instruct \\
        .venv/bin/pytest tests/test_llm_realserver.py -q -s

(`bench/llm_server.sh` builds llama.cpp's server and serves the model; see docs/llm-real-server.md.)

Several turns (guard check and debtor reply each), grading and a coaching tip, through the
same code as `bench/llm_e2e.py`; every stored result must be complete and pass the checks.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import pytest

from coaching.llm_validate import PLACEHOLDERS, in_transcript

BASE_URL = os.environ.get("COACHBOT_TEST_LLM_BASE_URL")
MODEL = os.environ.get("COACHBOT_TEST_LLM_MODEL")

pytestmark = pytest.mark.skipif(
    not (BASE_URL and MODEL),
    reason="set COACHBOT_TEST_LLM_BASE_URL and COACHBOT_TEST_LLM_MODEL to run against a server",
)


def _bench():  # type: ignore[no-untyped-def]
    path = Path(__file__).resolve().parents[1] / "bench" / "llm_e2e.py"
    spec = importlib.util.spec_from_file_location("llm_e2e", path)
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


async def test_whole_drill_on_a_real_server() -> None:
    bench = _bench()
    turns = int(os.environ.get("COACHBOT_TEST_LLM_TURNS", "6"))
    key = os.environ.get("COACHBOT_TEST_LLM_API_KEY", "not-needed")
    tokenizer = os.environ.get("COACHBOT_TEST_LLM_TOKENIZER", "auto")
    result = await bench.run(BASE_URL, MODEL, key, turns, "no_money", tokenizer)
    bench.report(result)
    stored, stats = result["stored"], result["stats"]
    # The guard gave a valid verdict on every collector line stored (the debtor's valid
    # answers may be more: a line the loop check refused was a complete stream too).
    said = stored["collector_lines"]
    assert said >= 1 and stats["debtor"]["valid"] >= said
    assert stats["compliance"]["valid"] >= said, stats["compliance"]
    # Five criteria and the closing sentence, each a validated answer.
    assert stats["grader"]["valid"] == 5 and stats["grader_summary"]["valid"] == 1
    if stored["status"] != "done":
        pytest.fail(f"drill not graded: {stored}")
    assert stored["graded_by"] == "llm"
    lines = bench.LINES[:said]
    for name, c in stored["report"]["criteria"].items():
        assert 0 <= c["score"] <= 100, name
        assert c["better_line"].strip().lower() not in PLACEHOLDERS, name
        assert in_transcript(c["quote"], lines), name
    assert stored["tips"] and len(stored["tips"]["tips"]) == 3
    assert not any(t.strip().lower() in PLACEHOLDERS for t in stored["tips"]["tips"])
