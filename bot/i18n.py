"""Message texts live in Jinja2 templates under bot/templates/<locale>/.

`t(locale, "core.not_bound", **kw)` renders the macro `not_bound` of `core.j2`;
`t(locale, "plan_daily", **kw)` renders the whole file `plan_daily.j2`.
A key missing in a locale falls back to zh_CN, the default language.

One rendering path, escaping once: `t()` returns HTML (`Markup`, values escaped exactly once),
so a rendered message passed into another template is not escaped again. Places that are not
HTML — button labels, pop-up alerts, chart labels — take `label()` / `plain()`: the same text
with entities decoded once.
"""

from __future__ import annotations

import html
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, TemplateNotFound
from markupsafe import Markup

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
FALLBACK_LOCALE = "zh_CN"


@lru_cache(maxsize=1)
def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES_DIR)),
        autoescape=True,  # messages go out with parse_mode=HTML
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )
    env.filters["money"] = lambda v: f"{float(v):,.0f}"
    env.filters["pct"] = lambda v: "n/a" if v is None else f"{float(v):.0f}%"
    from coaching.scoring.money import FILTERS  # amount(currency), score1, pct1: exact display

    env.filters.update(FILTERS)
    return env


@lru_cache(maxsize=128)
def _module(locale: str, file: str) -> Any:
    """A template file's macros, instantiated once (issue #22: making the module per message
    cost up to 1 ms of a reply, on the event loop). None when the file's top level needs the
    caller's variables; then each call makes its own module as before."""
    try:
        return environment().get_template(f"{locale}/{file}.j2").module
    except TemplateNotFound:
        raise
    except Exception:  # e.g. StrictUndefined at the top level: needs the variables
        return None


def _render(locale: str, key: str, kw: dict[str, Any]) -> str:
    env = environment()
    if "." in key:
        file, macro = key.split(".", 1)
        # A macro sees its keyword arguments as its own parameters, so the shared module
        # renders exactly what a module made with `kw` would.
        mod = _module(locale, file)
        if mod is None:
            mod = env.get_template(f"{locale}/{file}.j2").make_module(kw)
        fn = getattr(mod, macro, None)
        if fn is None:
            raise TemplateNotFound(f"{locale}/{file}.j2:{macro}")
        return str(fn(**kw)).strip()
    return env.get_template(f"{locale}/{key}.j2").render(**kw).strip()


def t(locale: str | None, key: str, **kw: Any) -> Markup:
    """The message as Telegram HTML (parse_mode=HTML)."""
    locale = locale or FALLBACK_LOCALE
    try:
        return Markup(_render(locale, key, kw))
    except TemplateNotFound:
        if locale == FALLBACK_LOCALE:
            raise
        return Markup(_render(FALLBACK_LOCALE, key, kw))


def plain(text: str) -> str:
    """Text for a place that is not HTML (button label, pop-up alert): entities decoded once,
    tags (a message's <b>) removed."""
    import re

    return html.unescape(re.sub(r"</?(b|i|u|s|code|pre|a)( [^>]*)?>", "", str(text)))


def label(locale: str | None, key: str, **kw: Any) -> str:
    """`t()` for a button label or pop-up alert."""
    return plain(t(locale, key, **kw))
