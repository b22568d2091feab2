"""Secrets never reach a log line, at any level.

A LogRecord factory (so every handler sees redacted records: ours, uvicorn's, PTB's, pytest's)
rewrites the formatted message, the exception text and the stack info:
- the configured secrets themselves: bot token, webhook secret, OpenAI key, PII key,
  the database password (literal match, whatever the context);
- by shape: Telegram bot tokens (also inside `/bot<token>/` URLs), ingest tokens (`cbt_…`),
  `Authorization:`/`Bearer` values, OpenAI-style keys (`sk-…`), invite codes (after `/start`,
  `start=`, or the 10-character code alphabet alone), passwords in URLs.
`install(settings)` is idempotent; call it from the logging setup.
"""

from __future__ import annotations

import contextlib
import logging
import re
import threading
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

MASK = "[REDACTED]"

_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    # Telegram bot token: <bot id>:<35 chars>; also matches inside /bot<token>/ URLs.
    (re.compile(r"(?<![0-9])[0-9]{5,16}:[A-Za-z0-9_-]{30,}"), MASK),
    (re.compile(r"cbt_[A-Za-z0-9_-]{8,}"), MASK),  # ingest API tokens
    (re.compile(r"(?i)\b(bearer)\s+[^\s'\",}]+"), r"\1 " + MASK),
    (re.compile(r"(?i)(authorization['\"]?\s*[:=]\s*['\"]?)[^'\"\n,}]+"), r"\1" + MASK),
    (
        re.compile(r"(?i)(x-telegram-bot-api-secret-token['\"]?\s*[:=]\s*['\"]?)[^'\"\s,}]+"),
        r"\1" + MASK,
    ),
    (re.compile(r"\bsk-[A-Za-z0-9_-]{16,}"), MASK),  # OpenAI-style API keys
    # Invite codes: after /start or start=, and the bare code shape (10 characters of the
    # unambiguous alphabet with at least one letter; a code may have no digit at all, e.g.
    # "CQKTCBFYAJ", which a digit requirement let through in a DEBUG send log).
    (re.compile(r"(/start(?:@\w+)?\s+|start=)[A-Za-z0-9_-]{4,64}"), r"\1" + MASK),
    (re.compile(r"\b(?=[A-HJ-NP-Z2-9]*[A-Z])[A-HJ-NP-Z2-9]{10}\b"), MASK),
    (re.compile(r"(://[^:/\s@]+:)[^@\s/]+@"), r"\1" + MASK + "@"),  # password in a URL
]

_lock = threading.Lock()
_literals: set[str] = set()
_installed = False


def remember(*secrets: str | None) -> None:
    """Redact these exact strings from now on (values shorter than 6 characters are ignored:
    they would blank out ordinary words)."""
    with _lock:
        for s in secrets:
            if s and len(s) >= 6:
                _literals.add(s)


def redact(text: str) -> str:
    for lit in sorted(_literals, key=len, reverse=True):
        if lit in text:
            text = text.replace(lit, MASK)
    for pat, repl in _PATTERNS:
        text = pat.sub(repl, text)
    return text


def _secrets_of(settings: Any) -> Iterable[str | None]:
    yield getattr(settings, "telegram_bot_token", None)
    yield getattr(settings, "webhook_secret", None)
    yield getattr(settings, "openai_api_key", None)
    yield getattr(settings, "pii_hmac_key", None)
    for part in (getattr(settings, "pii_previous_keys", "") or "").split(","):
        yield part.partition("=")[2].strip() or None
    url = getattr(settings, "database_url", "") or ""
    with contextlib.suppress(ValueError):
        yield urlsplit(url).password


def _scrub(record: logging.LogRecord) -> None:
    try:
        msg = record.getMessage()
    except Exception:  # a broken format string: leave it to logging's own error path
        return
    clean = redact(msg)
    if clean != msg:
        # Redact the arguments one by one first: some formatters (uvicorn's access log)
        # read record.args. If the secret was split across msg and args, freeze the text.
        args = record.args
        if isinstance(args, tuple):
            record.args = tuple(_clean_arg(a) for a in args)
        elif isinstance(args, dict):
            record.args = {k: _clean_arg(v) for k, v in args.items()}
        record.msg = redact(str(record.msg)) if isinstance(record.msg, str) else record.msg
        try:
            ok = record.getMessage() == clean
        except Exception:
            ok = False
        if not ok:
            record.msg, record.args = clean, None
    if record.exc_info and not record.exc_text:
        record.exc_text = logging.Formatter().formatException(record.exc_info)
    if record.exc_text:
        record.exc_text = redact(record.exc_text)
    if record.stack_info:
        record.stack_info = redact(record.stack_info)


def _clean_arg(a: Any) -> Any:
    if isinstance(a, str):
        return redact(a)
    if isinstance(a, int | float | bool) or a is None:
        return a
    text = str(a)
    clean = redact(text)
    return a if clean == text else clean


def install(settings: Any = None) -> None:
    """Redact every record created from now on; remember the settings' secrets."""
    global _installed
    if settings is not None:
        remember(*_secrets_of(settings))
    with _lock:
        if _installed:
            return
        _installed = True
    previous = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        _scrub(record)
        return record

    logging.setLogRecordFactory(factory)
