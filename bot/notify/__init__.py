"""Turn the domain's notices into Telegram messages: render in the reader's language, then
queue in the outbox (delivered by the scheduler's holder, once)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from bot.i18n import label, t
from bot.outbox import enqueue
from coaching.notices import Card, Notice


def markup(card: Card) -> dict[str, Any] | None:
    """Bot API inline keyboard as plain JSON (the outbox stores it as is)."""
    if not card.buttons:
        return None
    return {
        "inline_keyboard": [
            [
                {"text": label(card.locale, b.label, **b.params), "callback_data": b.data}
                for b in row
            ]
            for row in card.buttons
        ]
    }


def payload(card: Card) -> dict[str, Any]:
    out: dict[str, Any] = {"text": str(t(card.locale, card.template, **card.params))}
    kb = markup(card)
    if kb is not None:
        out["reply_markup"] = kb
    return out


def deliver(
    s: Session,
    notices: Iterable[Notice],
    now: datetime,
    decorate: Callable[[Notice, dict[str, Any]], dict[str, Any]] | None = None,
) -> int:
    """Queue each notice; returns how many were new (a key already queued is skipped).
    `decorate` may add wiring-level parts to a payload (e.g. a dashboard link button)."""
    n = 0
    for no in notices:
        body = payload(no.card)
        n += enqueue(
            s,
            key=no.key,
            kind=no.kind,
            chat_id=no.chat_id,
            payload=decorate(no, body) if decorate else body,
            now=now,
            employee_id=no.employee_id,
            local_date=no.local_date,
        )
    return n
