"""Telegram Mini App `initData`: validation (and signing, for the console demo and tests).

Telegram's rule (core.telegram.org/bots/webapps#validating-data-received-via-the-mini-app):
the data-check string is every received field except `hash`, as `key=value`, sorted by key,
joined by "\\n"; secret = HMAC_SHA256(key="WebAppData", msg=bot_token); the field `hash` must
equal hex(HMAC_SHA256(key=secret, msg=data_check_string)). We compare in constant time and
refuse an `auth_date` older than the freshness window (or from the future beyond a small skew):
a copied initData string stops working after the window.

The result is only a Telegram user id; who that is and what they may see comes from our own
employee and role tables (bot.dashboard.scope).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import parse_qsl, urlencode

# A phone's clock may run a little ahead of ours.
FUTURE_SKEW_S = 60
MAX_INIT_DATA_BYTES = 8192


class InitDataError(ValueError):
    """Why initData was refused; `reason` is a short code for the audit log."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class WebAppUser:
    telegram_user_id: int
    auth_date: int
    language_code: str | None = None


def _secret(bot_token: str) -> bytes:
    return hmac.new(b"WebAppData", bot_token.encode(), hashlib.sha256).digest()


def _check_string(fields: dict[str, str]) -> str:
    return "\n".join(f"{k}={fields[k]}" for k in sorted(fields) if k != "hash")


def sign(fields: dict[str, str], bot_token: str) -> str:
    """The initData query string for `fields` signed with `bot_token` (as Telegram does)."""
    digest = hmac.new(_secret(bot_token), _check_string(fields).encode(), hashlib.sha256)
    return urlencode({**fields, "hash": digest.hexdigest()})


def make_init_data(
    bot_token: str, telegram_user_id: int, now: datetime, *, language_code: str = "zh-hans"
) -> str:
    user = {"id": telegram_user_id, "first_name": "demo", "language_code": language_code}
    fields = {
        "auth_date": str(int(now.timestamp())),
        "query_id": "AAdemo",
        "user": json.dumps(user, separators=(",", ":")),
    }
    return sign(fields, bot_token)


def validate(init_data: str, bot_token: str, now: datetime, max_age_s: int) -> WebAppUser:
    """The Telegram user behind a genuine, fresh initData; InitDataError otherwise."""
    if not init_data:
        raise InitDataError("missing")
    if len(init_data) > MAX_INIT_DATA_BYTES:
        raise InitDataError("too_long")
    try:
        pairs = parse_qsl(init_data, keep_blank_values=True, strict_parsing=True)
    except ValueError:
        raise InitDataError("malformed") from None
    fields = dict(pairs)
    if len(fields) != len(pairs):
        raise InitDataError("malformed")  # a repeated key: which one was signed?
    given = fields.get("hash", "")
    expected = hmac.new(_secret(bot_token), _check_string(fields).encode(), hashlib.sha256)
    if not hmac.compare_digest(given.encode(), expected.hexdigest().encode()):
        raise InitDataError("bad_signature")
    try:
        auth_date = int(fields["auth_date"])
        user = json.loads(fields["user"])
        uid = int(user["id"])
    except (KeyError, ValueError, TypeError):
        raise InitDataError("malformed") from None
    age = now.timestamp() - auth_date
    if age > max_age_s:
        raise InitDataError("stale")
    if age < -FUTURE_SKEW_S:
        raise InitDataError("future")
    lang = user.get("language_code") if isinstance(user, dict) else None
    return WebAppUser(uid, auth_date, lang if isinstance(lang, str) else None)
