"""The guard reads pinyin without pypinyin's phrase dictionary (issue #22: ~50 MB resident in
the bot process from start-up): the same reading for every character, the same syllables."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

_READINGS = (
    "import hashlib, sys\n"
    "from coaching.roleplay import guard_model, guard_pinyin\n"
    "def model(c):\n"
    "    return guard_model._pinyin(c) or '?'\n"  # '?': a character with no reading
    "chars = [chr(c) for c in range(0x3400, 0xA000)]\n"
    "a = '|'.join(guard_pinyin._char_pinyin(c) + model(c) for c in chars)\n"
    "b = ' '.join(sorted(guard_pinyin.syllables()))\n"
    "import pypinyin.constants as k\n"
    "print(hashlib.sha256((a + b).encode()).hexdigest(), len(k.PHRASES_DICT) > 0)\n"
)


def _run(env: dict[str, str]) -> list[str]:
    out = subprocess.run(
        [sys.executable, "-c", _READINGS],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr
    return out.stdout.split()


def test_readings_without_the_phrase_dictionary_equal_those_with_it() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYPINYIN_")}
    lite = _run(env)
    full = _run(env | {"PYPINYIN_NO_PHRASES": "", "PYPINYIN_NO_DICT_COPY": ""})
    assert lite[1] == "False"  # the guard's own import: no phrase dictionary loaded
    assert full[1] == "True"  # an explicit (empty) switch wins over the guard's default
    assert lite[0] == full[0]
