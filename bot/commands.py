"""The command and button registry: every entry point declares who may use it (roles, chat
types, group purpose). handlers/ registers into it; the menus (bot/menus.py) read it, and the
dispatcher (handlers/base.py) enforces it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from telegram.constants import ChatType

PRIVATE = frozenset({ChatType.PRIVATE})
GROUP = frozenset({ChatType.GROUP, ChatType.SUPERGROUP})
ANY_CHAT = PRIVATE | GROUP
ALL_ROLES = frozenset({"collector", "team_lead", "trainer", "hr", "admin"})

# A callback takes the dispatcher's Request (handlers/base.py); typed loosely to keep the
# registry below the handlers.
Callback = Callable[[Any], Awaitable[None]]


@dataclass(frozen=True)
class Access:
    """Who may use an entry point. `roles=None` means any bound employee."""

    roles: frozenset[str] | None = None
    chats: frozenset[str] = PRIVATE
    # In groups, the chat must be registered for this purpose (e.g. "hr_alerts").
    group_purpose: str | None = None
    # Unbound Telegram users may call it (only /start).
    public: bool = False
    # Write an audit row for allowed calls too (sensitive data views).
    audit_allowed: bool = False


@dataclass(frozen=True)
class CommandSpec:
    name: str
    callback: Callback
    access: Access
    # Shown by /help; None hides the command from /help.
    help_key: str | None
    order: int = 100


@dataclass(frozen=True)
class ButtonSpec:
    prefix: str
    callback: Callback
    access: Access


TextCallback = Callable[[Any], Awaitable[bool]]


@dataclass(frozen=True)
class TextSpec:
    name: str
    callback: TextCallback
    access: Access
    priority: int


@dataclass
class Registry:
    commands: dict[str, CommandSpec] = field(default_factory=dict)
    buttons: dict[str, ButtonSpec] = field(default_factory=dict)
    texts: list[TextSpec] = field(default_factory=list)
    # Factories for special PTB handlers (e.g. PollAnswerHandler); they check access themselves.
    extra: list[Callable[[], Any]] = field(default_factory=list)

    def text(
        self, name: str, *, access: Access, priority: int = 100
    ) -> Callable[[TextCallback], TextCallback]:
        """Register a consumer of plain text messages; it returns True when it took the text.

        Consumers are tried in priority order among those the caller may use (a drill in
        progress, a trainer's reply to a question, …)."""

        def deco(fn: TextCallback) -> TextCallback:
            self.texts.append(TextSpec(name, fn, access, priority))
            self.texts.sort(key=lambda x: x.priority)
            return fn

        return deco

    def command(
        self,
        name: str,
        *,
        access: Access,
        help_key: str | None = None,
        order: int = 100,
    ) -> Callable[[Callback], Callback]:
        def deco(fn: Callback) -> Callback:
            if name in self.commands:
                raise ValueError(f"command /{name} registered twice")
            self.commands[name] = CommandSpec(name, fn, access, help_key, order)
            return fn

        return deco

    def button(self, prefix: str, *, access: Access) -> Callable[[Callback], Callback]:
        """Register an inline-button handler for callback data `prefix:…`."""

        def deco(fn: Callback) -> Callback:
            if ":" in prefix or prefix in self.buttons:
                raise ValueError(f"bad or duplicate button prefix {prefix!r}")
            self.buttons[prefix] = ButtonSpec(prefix, fn, access)
            return fn

        return deco


REGISTRY = Registry()
command = REGISTRY.command
button = REGISTRY.button
text = REGISTRY.text
