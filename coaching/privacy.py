"""Debtor identifiers never enter the database raw: they become a keyed hash first."""

from __future__ import annotations

import hashlib
import hmac
import re

_SPACES = re.compile(r"[\s\-()]+")
# The shipped default (bot/settings.py); fine for the demo and tests, never for real data:
# with a public key the keyed hashes of names and phone numbers can be reversed by guessing.
DEMO_PII_KEY = "coachbot-demo-key-change-me"
MIN_KEY_LENGTH = 32


class PiiKeyError(ValueError):
    """The PII key is not fit for real debtor data; the message says what to do."""


def check_pii_key(key: str, *, demo: bool) -> None:
    """Outside demo mode the bot needs its own long COACHBOT_PII_KEY."""
    if demo:
        return
    hint = (
        "generate one with: python -c 'import secrets; print(secrets.token_hex(32))' "
        "(or set COACHBOT_DEMO=1 to run the demo)"
    )
    if key == DEMO_PII_KEY:
        raise PiiKeyError(f"COACHBOT_PII_KEY is the public demo key; set your own key — {hint}")
    if len(key) < MIN_KEY_LENGTH:
        raise PiiKeyError(
            f"COACHBOT_PII_KEY is too short ({len(key)} characters, need {MIN_KEY_LENGTH}); {hint}"
        )


def normalise_identifier(raw: str) -> str:
    """Phones and ID numbers arrive as '138 0013 8000', '+86-13800138000', 'x'…"""
    v = _SPACES.sub("", raw.strip()).upper()
    if v.startswith("+86"):
        v = v[3:]
    return v


def debtor_key(secret: str, raw: str) -> str:
    """HMAC-SHA256 of the normalised identifier: stable for joins, useless without the key."""
    return hmac.new(secret.encode(), normalise_identifier(raw).encode(), hashlib.sha256).hexdigest()
