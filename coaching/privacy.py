"""Debtor identifiers never enter the database raw: they become a keyed hash first."""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass

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


# --- key ids and rotation -----------------------------------------------------------------
#
# Every stored debtor key names the PII key it was made with: "<id>.<hash>" (60 hex digits or
# fewer, so it fits the 64-character columns). Id "0" is the key used before ids existed; its
# values stay bare 64-digit hashes, so databases from before rotation need no migration.
#
# Keys form a chain, oldest first: the value under key n is HMAC(key n, value under key n-1).
# That is what lets `coachbot pii rotate` re-key stored values without the raw identifiers
# (which are never kept): a value under an older id is wrapped with each newer key in turn.
# A leaked old key alone then reveals nothing: reversing a stored value needs every key of
# the chain. New data is keyed with the newest key at once; values still under an older id
# are matched through `Keyring.all_keys` until the rotation has run.

_KEY_ID = re.compile(r"^[a-z0-9]{1,8}$")
LEGACY_ID = "0"


class KeyringError(ValueError):
    """A key id or key list that cannot be used; the message names the setting."""


def _fmt(kid: str, digest: str) -> str:
    return digest if kid == LEGACY_ID else f"{kid}.{digest[: 63 - len(kid)]}"


def key_id_of(stored: str) -> str:
    """The id of the key a stored value was made with."""
    kid, dot, _ = stored.partition(".")
    return kid if dot else LEGACY_ID


def _mac(secret: str, data: str) -> str:
    return hmac.new(secret.encode(), data.encode(), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class Keyring:
    """The PII keys, oldest first; the last one keys new data."""

    keys: tuple[tuple[str, str], ...]  # (id, secret)

    def __post_init__(self) -> None:
        ids = [k for k, _ in self.keys]
        if not ids:
            raise KeyringError("no PII key configured")
        for k in ids:
            if not _KEY_ID.match(k):
                raise KeyringError(f"key id {k!r}: use 1–8 lower-case letters or digits")
        if len(set(ids)) != len(ids):
            raise KeyringError(f"key ids repeat: {', '.join(ids)}")

    @classmethod
    def parse(cls, current: str, current_id: str = LEGACY_ID, previous: str = "") -> Keyring:
        """From the settings: COACHBOT_PII_KEY, COACHBOT_PII_KEY_ID and
        COACHBOT_PII_PREVIOUS_KEYS ("id=secret,id=secret", oldest first)."""
        older = []
        for n, part in enumerate(p.strip() for p in previous.split(",") if p.strip()):
            kid, eq, secret = part.partition("=")
            if not eq or not secret.strip():
                raise KeyringError(f"COACHBOT_PII_PREVIOUS_KEYS item {n + 1}: expected id=secret")
            older.append((kid.strip(), secret.strip()))
        return cls((*older, (current_id.strip() or LEGACY_ID, current)))

    @property
    def current_id(self) -> str:
        return self.keys[-1][0]

    def _position(self, kid: str) -> int:
        for i, (k, _) in enumerate(self.keys):
            if k == kid:
                return i
        raise KeyringError(f"stored value made with unknown key id {kid!r}")

    def all_keys(self, raw: str) -> list[str]:
        """The stored form of `raw` under every key id, oldest first (for matching values
        that a rotation has not reached yet); the last one is `key(raw)`."""
        out: list[str] = []
        for i, (kid, secret) in enumerate(self.keys):
            data = normalise_identifier(raw) if i == 0 else out[-1]
            out.append(_fmt(kid, _mac(secret, data)))
        return out

    def key(self, raw: str) -> str:
        """The stored form of a debtor identifier under the newest key."""
        return self.all_keys(raw)[-1]

    def rekey(self, stored: str) -> str:
        """`stored` (made with any key of the chain) as it is under the newest key."""
        value = stored
        for _kid, secret in self.keys[self._position(key_id_of(stored)) + 1 :]:
            value = _fmt(_kid, _mac(secret, value))
        return value


def keyring_of(secret: str | Keyring) -> Keyring:
    return secret if isinstance(secret, Keyring) else Keyring(((LEGACY_ID, secret),))


def keyring_from(settings: object) -> Keyring:
    """The keyring the settings describe (COACHBOT_PII_KEY, _KEY_ID, _PREVIOUS_KEYS)."""
    return Keyring.parse(
        str(getattr(settings, "pii_hmac_key")),  # noqa: B009
        str(getattr(settings, "pii_key_id", LEGACY_ID) or LEGACY_ID),
        str(getattr(settings, "pii_previous_keys", "") or ""),
    )
