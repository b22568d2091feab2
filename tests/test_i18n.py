"""Every message exists in both languages, and every entry point declares its access."""

from __future__ import annotations

from jinja2 import nodes

from bot.i18n import TEMPLATES_DIR, environment, t
from handlers.base import REGISTRY, install


def _macros(locale: str) -> dict[str, set[str]]:
    env = environment()
    out = {}
    for path in sorted((TEMPLATES_DIR / locale).glob("*.j2")):
        ast = env.parse(path.read_text(encoding="utf-8"))
        out[path.name] = {m.name for m in ast.find_all(nodes.Macro)}
    return out


def test_both_locales_have_the_same_messages() -> None:
    zh, en = _macros("zh_CN"), _macros("en")
    assert zh.keys() == en.keys()
    for name in zh:
        assert zh[name] == en[name], (
            f"{name}: only zh {zh[name] - en[name]}, only en {en[name] - zh[name]}"
        )


def test_fallback_to_chinese_and_escaping() -> None:
    assert "绑定成功" in t("fr", "core.bound", name="x")
    assert "&lt;b&gt;" in t("en", "core.bound", name="<b>")


def test_every_command_has_help_in_both_languages() -> None:
    from telegram.ext import Application

    install(Application.builder().token("1:x").build())
    assert REGISTRY.commands, "no commands registered"
    for spec in REGISTRY.commands.values():
        if spec.help_key:
            assert t("zh_CN", spec.help_key) and t("en", spec.help_key)
        # Only /start may be used by strangers.
        assert spec.access.public == (spec.name == "start"), spec.name
