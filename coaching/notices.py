"""What the domain hands to the wiring instead of a rendered message.

A `Notice` names its recipient, an idempotency key, a message template key with its values
and the buttons; `bot/notify` renders it in the reader's language and queues it in the
outbox. The domain never translates, renders or sends.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any


@dataclass(frozen=True)
class Button:
    """An inline button: its label is a template key rendered as plain text."""

    label: str
    data: str  # callback_data
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Card:
    """A message body: template key, values and buttons (rows), in one locale."""

    locale: str
    template: str
    params: dict[str, Any] = field(default_factory=dict)
    buttons: tuple[tuple[Button, ...], ...] = ()


@dataclass(frozen=True)
class Notice:
    """A card for one chat, queued once under `key`."""

    key: str
    kind: str
    chat_id: int
    card: Card
    employee_id: int | None = None  # the recipient, when a person (never the subject)
    local_date: date | None = None
