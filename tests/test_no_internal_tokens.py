"""No message shows an internal token: every template macro in both languages is rendered with
the raw values the code really holds (role keys, time-zone ids, slugs, enum values, targets,
names with & and <), and the visible text is checked for them and for double escaping."""

from __future__ import annotations

import pytest
from jinja2 import nodes

from bot.i18n import TEMPLATES_DIR, environment, t
from tests.token_probe import RAW, Probe, leaks

# Macros whose arguments are already human text chosen by the caller (not raw keys), and
# templates owned by other work in progress (their leaks are reported, not fixed, here).
HUMAN_ARGS: dict[str, dict[str, object]] = {
    "training.push_pick_due": {"target": "一组（SH-1）"},
    "roleplay.llm_error": {"kind": "timeout"},
    "roleplay.grade_error": {"kind": "timeout"},
    "score.arrow": {"a": "up"},
    # names.j2 turns raw keys into words: feed it the raw keys.
    "names.purpose": {"p": "trainers"},
    "names.tz": {"z": "Asia/Jakarta"},
    "names.role": {"r": "trainer"},
    "names.band": {"b": "0-1m"},
    "names.group": {"g": "all"},
    "names.target": {"k": "path"},
    "names.module": {"m": "m01"},
    "names.months": {"n": 0},
}
NOT_OURS: dict[str, str] = {}


def macros() -> list[tuple[str, str, list[str]]]:
    env = environment()
    out = []
    for path in sorted((TEMPLATES_DIR / "zh_CN").glob("*.j2")):
        ast = env.parse(path.read_text(encoding="utf-8"))
        for m in ast.find_all(nodes.Macro):
            out.append((path.stem, m.name, [a.name for a in m.args]))
    return out


def kwargs(key: str, args: list[str]) -> dict[str, object]:
    kw: dict[str, object] = {}
    for a in args:
        kw[a] = RAW[a] if a in RAW else Probe(a)
    kw.update(HUMAN_ARGS.get(key, {}))
    if "letters" in kw:
        kw["letters"] = "ABCDEF"
    return kw


CASES = [(f, m, a) for f, m, a in macros() if f not in ("chart",)]


@pytest.mark.parametrize("locale", ["zh_CN", "en"])
@pytest.mark.parametrize(("file", "macro", "args"), CASES, ids=[f"{f}.{m}" for f, m, _ in CASES])
def test_macro_shows_no_internal_token(file: str, macro: str, args: list[str], locale: str) -> None:
    key = f"{file}.{macro}"
    if key in NOT_OURS:
        pytest.skip(NOT_OURS[key])
    text = t(locale, key, **kwargs(key, args))
    found = leaks(text, locale, usage=macro.startswith("help_"))
    assert not found, (key, found, text)


def test_the_probe_catches_a_raw_token() -> None:
    # The check itself can fail: a raw time-zone id, role key, slug or entity is found.
    assert leaks("分公司：SH（Asia/Shanghai）", "zh_CN") == ["Asia/Shanghai"]
    assert leaks("角色：collector", "zh_CN") == ["collector"]
    assert leaks("A &amp;lt; B", "en")
    assert not leaks("分公司：SH（北京时间）", "zh_CN")
    assert not leaks("Role: collector", "en")


def test_human_names_keep_the_message_layout() -> None:
    class Me:
        employee_no, name, branch_code, timezone = "T0001", "肖秀", "SH", "Asia/Shanghai"

    who = t("zh_CN", "admin.whoami", me=Me(), roles=["trainer", "hr"]).splitlines()
    assert who == ["工号：T0001", "姓名：肖秀", "角色：培训主管、人事", "分公司：SH（北京时间）"]
    who_en = t("en", "admin.whoami", me=Me(), roles=["trainer"]).splitlines()
    assert who_en[2:] == ["Roles: Trainer", "Branch: SH (China time)"]
    v = {
        "level": "high",
        "employee_no": "C0001",
        "name": "张三",
        "team": "SH-1",
        "months": 0,
        "score": 70,
        "reasons": [],
        "actions": [],
    }
    lines = t("zh_CN", "hr.alert_person", v=v).splitlines()
    assert lines[0].endswith("· SH-1 · 入职不满 1 个月") and lines[1] == "风险 70/100 · 高"
    v["months"] = 5
    assert t("zh_CN", "hr.alert_person", v=v).splitlines()[0].endswith("入职 5 个月")
