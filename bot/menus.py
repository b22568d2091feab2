"""Telegram command menus (setMyCommands) per language and scope, from the handler registry.

Defaults: private chats get what any bound employee may use, groups what a group may use;
a bound person's own chat gets the commands of their roles (BotCommandScopeChat, the most
specific scope wins), set on bind and removed on unbind. A failing menu call is logged and
never breaks the reply that triggered it.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections import OrderedDict

from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeAllGroupChats,
    BotCommandScopeAllPrivateChats,
    BotCommandScopeChat,
)

from bot.i18n import t

log = logging.getLogger(__name__)

# Telegram's language_code per locale; zh_CN is also the default (no language code).
LANGS = {"zh_CN": "zh", "en": "en"}
_TAG = re.compile(r"<[^>]+>")


def commands_for(
    locale: str, roles: set[str] | None, group: bool, purposes: set[str] | None = None
) -> list[BotCommand]:
    """The commands a person with `roles` (None: any bound employee) may use in a private
    chat or (group=True) in a group, with their /help description. `purposes`: the group is
    registered for these, so commands of those chats are listed too (roles aside: the group
    is shared, each command still checks its caller)."""
    from bot.commands import GROUP, PRIVATE, REGISTRY

    chats = GROUP if group else PRIVATE
    out = []
    for spec in sorted(REGISTRY.commands.values(), key=lambda c: c.order):
        if not spec.help_key or not (spec.access.chats & chats):
            continue
        if purposes is not None:
            if spec.access.group_purpose is None or spec.access.group_purpose in purposes:
                desc = _TAG.sub("", t(locale, spec.help_key)).strip()[:256] or spec.name
                out.append(BotCommand(spec.name, desc))
            continue
        allowed = spec.access.roles
        if allowed is not None and (roles is None or not (allowed & roles)):
            continue
        desc = _TAG.sub("", t(locale, spec.help_key)).strip()[:256] or spec.name
        out.append(BotCommand(spec.name, desc))
    return out


async def set_group_menu(bot: Bot, chat_id: int, purposes: set[str], locale: str) -> None:
    """A registered group's menu: the commands of its purposes (e.g. /risk in the HR chat);
    back to the default when it holds none. Failures are logged, never raised."""
    try:
        scope = BotCommandScopeChat(chat_id)
        if purposes:
            await bot.set_my_commands(commands_for(locale, None, True, purposes), scope=scope)
        else:
            await bot.delete_my_commands(scope=scope)
    except Exception as exc:
        log.warning("setMyCommands for a group failed: %r", exc)


async def set_default_menus(bot: Bot) -> None:
    for locale, lang in LANGS.items():
        for scope, group in (
            (BotCommandScopeAllPrivateChats(), False),
            (BotCommandScopeAllGroupChats(), True),
        ):
            for code in (None, lang) if locale == "zh_CN" else (lang,):
                try:
                    await bot.set_my_commands(
                        commands_for(locale, None, group), scope=scope, language_code=code
                    )
                except Exception as exc:  # menus are a convenience: never fatal
                    log.warning("setMyCommands (%s, %s) failed: %r", locale, scope.type, exc)


# Per Application (bot_data["menus"]): what this process last set per private chat, (roles,
# locale) or None for "cleared". A restart forgets it, so each person's menu is checked once
# again on their next message.
MenuState = OrderedDict[int, "tuple[frozenset[str], str] | None"]
_MENUS_MAX = 100_000
_pending: set[asyncio.Task[None]] = set()


def menu_state(bot_data: dict) -> MenuState:
    return bot_data.setdefault("menus", OrderedDict())


async def set_person_menu(
    bot: Bot, chat_id: int, roles: set[str], locale: str, state: MenuState | None = None
) -> None:
    """The menu of one bound person's private chat (on bind, role or language change)."""
    try:
        await bot.set_my_commands(
            commands_for(locale, roles, False), scope=BotCommandScopeChat(chat_id)
        )
    except Exception as exc:
        log.warning("setMyCommands for a chat failed: %r", exc)
        return
    if state is not None:
        _remember(state, chat_id, (frozenset(roles), locale))


async def clear_person_menu(bot: Bot, chat_id: int, state: MenuState | None = None) -> None:
    """Back to the default menu (the person was unbound or left)."""
    try:
        await bot.delete_my_commands(scope=BotCommandScopeChat(chat_id))
    except Exception as exc:
        log.warning("deleteMyCommands for a chat failed: %r", exc)
        return
    if state is not None:
        _remember(state, chat_id, None)


def _remember(state: MenuState, chat_id: int, value: tuple[frozenset[str], str] | None) -> None:
    state[chat_id] = value
    state.move_to_end(chat_id)
    while len(state) > _MENUS_MAX:
        state.popitem(last=False)


def sync_person_menu(
    bot: Bot, state: MenuState, chat_id: int, roles: set[str] | None, locale: str
) -> None:
    """Called on every private update: when the person's roles or language changed since
    this process last set their menu (a role change by import, an unbinding), refresh it in
    the background — never in the way of the reply."""
    want = None if roles is None else (frozenset(roles), locale)
    if chat_id in state and state[chat_id] == want:
        return
    if want is None and chat_id not in state:
        _remember(state, chat_id, None)  # a stranger, as far as we know: nothing to undo
        return
    coro = (
        clear_person_menu(bot, chat_id, state)
        if roles is None
        else set_person_menu(bot, chat_id, set(roles), locale, state)
    )
    task = asyncio.get_running_loop().create_task(coro)
    _pending.add(task)
    task.add_done_callback(_pending.discard)
