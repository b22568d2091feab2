"""HTML for the dashboard: Jinja2 templates under bot/dashboard/templates, texts through the
chat's i18n (bot/templates/<locale>/dash.j2 and the chat's own score/hr/training/names
macros), so a label reads the same in the chat and on the dashboard."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from bot.dashboard import svg
from bot.dashboard.scope import Viewer
from bot.i18n import label, t
from coaching.scoring.money import FILTERS

TEMPLATES = Path(__file__).resolve().parent / "templates"
HTML_LANG = {"zh_CN": "zh-CN", "en": "en"}


@lru_cache(maxsize=1)
def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(FILTERS)
    env.globals["svg"] = svg
    return env


def _tr(locale: str) -> Any:
    def tr(key: str, **kw: Any) -> Markup:
        # The chat's messages are Telegram HTML (<b>, escaped values): safe here too.
        return t(locale, key, **kw)

    return tr


def _link(params: dict[str, str]) -> Any:
    def link(view: str, **kw: Any) -> str:
        q = {"v": view, **{k: str(v) for k, v in kw.items() if v is not None}}
        return "?" + urlencode(q)

    return link


def page(name: str, viewer: Viewer, result: dict[str, Any], params: dict[str, str]) -> str:
    locale = viewer.locale
    tmpl = environment().get_template(f"{name}.html")
    return tmpl.render(
        d=result,
        params=params,
        viewer=viewer,
        nav=viewer.nav(),
        current=name,
        locale=locale,
        lang=HTML_LANG.get(locale, "zh-CN"),
        tr=_tr(locale),
        lb=lambda key, **kw: label(locale, key, **kw),
        link=_link(params),
    )


def refused(locale: str, message: str, status: int) -> str:
    return (
        environment()
        .get_template("refused.html")
        .render(message=message, status=status, lang=HTML_LANG.get(locale, "zh-CN"))
    )


def shell(locale: str) -> str:
    return (
        environment()
        .get_template("shell.html")
        .render(lang=HTML_LANG.get(locale, "zh-CN"), tr=_tr(locale))
    )
