"""Real token counts offline (coaching/llm_tokens.py): the shipped tokenizers by model name
or setting, the estimate otherwise, and which one is used is visible."""

from __future__ import annotations

import pytest

from bot.settings import SettingsError, load_settings
from coaching.llm import LLMClient
from coaching.llm_tokens import ESTIMATE, counter_for, encoding_for_model, estimate_tokens

ZH = "您好，我是XX资产管理公司的专员，受银行委托联系您，通话会录音。"


@pytest.mark.parametrize(
    ("model", "encoding"),
    [
        ("gpt-4o-mini", "o200k_base"),
        ("gpt-4.1-nano", "o200k_base"),
        ("gpt-4-turbo", "cl100k_base"),
        ("qwen2.5-coder-1.5b-instruct", "qwen3"),
        ("Qwen/Qwen2.5-1.5B-Instruct", "qwen3"),
        ("qwen3:1.7b", "qwen3"),
        ("qwen-plus", "qwen3"),
        ("meta-llama/Llama-3.2-3B-Instruct", "llama3"),
        ("deepseek-chat", None),
        ("smollm2", None),
        ("local", None),
    ],
)
def test_models_map_to_their_encodings(model: str, encoding: str | None) -> None:
    assert encoding_for_model(model) == encoding


def test_real_tokenizers_ship_with_the_package_and_count_exactly() -> None:
    qwen = counter_for("qwen2.5-coder-1.5b-instruct")
    gpt = counter_for("gpt-4o-mini")
    assert qwen.exact and qwen.name == "qwen3 (quicktok)"
    assert gpt.exact and gpt.name == "o200k_base (quicktok)"
    assert qwen.count("hello world") == 2 and gpt.count("hello world") == 2
    # Counted by llama.cpp's own tokenizer from the Qwen2.5-Coder GGUF (llama_cpp.Llama
    # .tokenize, vocab_only) when this was written: 18 tokens.
    assert qwen.count(ZH) == 18
    # The estimate (fitted to a 49k-vocabulary tokenizer) errs high for Qwen's Chinese.
    assert estimate_tokens(ZH) > qwen.count(ZH)


def test_unknown_models_are_estimated_and_the_setting_overrides() -> None:
    assert counter_for("deepseek-chat") is ESTIMATE
    assert counter_for("gpt-4o", "estimate") is ESTIMATE
    # A local server's alias says nothing about the model: the setting names the encoding.
    local = counter_for("local", "qwen3")
    assert local.exact and local.count(ZH) == counter_for("qwen2.5").count(ZH)
    s = load_settings(_env_file=None, COACHBOT_LLM_MODEL="local", COACHBOT_LLM_TOKENIZER="qwen3")
    assert LLMClient(s).counter.name == "qwen3 (quicktok)"
    with pytest.raises(SettingsError, match="COACHBOT_LLM_TOKENIZER"):
        load_settings(_env_file=None, COACHBOT_LLM_TOKENIZER="gpt2")
