"""Debtor identifiers never enter the database raw: they become a keyed hash first."""

from __future__ import annotations

import hashlib
import hmac
import re

_SPACES = re.compile(r"[\s\-()]+")


def normalise_identifier(raw: str) -> str:
    """Phones and ID numbers arrive as '138 0013 8000', '+86-13800138000', 'x'…"""
    v = _SPACES.sub("", raw.strip()).upper()
    if v.startswith("+86"):
        v = v[3:]
    return v


def debtor_key(secret: str, raw: str) -> str:
    """HMAC-SHA256 of the normalised identifier: stable for joins, useless without the key."""
    return hmac.new(secret.encode(), normalise_identifier(raw).encode(), hashlib.sha256).hexdigest()
