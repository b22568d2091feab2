"""Command and button registry with access control on every entry point.

Every command declares who may use it (roles, chat types, group purpose). The dispatcher
identifies the caller from their Telegram binding, refuses anything not allowed with a clear
reply and an audit row, and only then calls the feature's function.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from telegram import (
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    Update,
)
from telegram.constants import ChatAction, ChatType, ParseMode
from telegram.error import TelegramError
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

# The registry lives in bot/commands.py (the menus read it); handlers import it from here.
from bot.commands import (
    ALL_ROLES,
    ANY_CHAT,
    GROUP,
    PRIVATE,
    REGISTRY,
    Access,
    ButtonSpec,
    Callback,
    CommandSpec,
    button,
    command,
    text,
)
from bot.context import AppContext
from bot.i18n import plain, t
from bot.menus import menu_state, sync_person_menu
from coaching import people
from coaching.people import Caller

__all__ = [
    "ALL_ROLES",
    "ANY_CHAT",
    "GROUP",
    "PRIVATE",
    "REGISTRY",
    "Access",
    "Request",
    "allowed_commands",
    "button",
    "command",
    "install",
    "keyboard",
    "text",
]

log = logging.getLogger(__name__)


def keyboard(rows: Sequence[Sequence[tuple[str, str]]]) -> InlineKeyboardMarkup:
    """Rows of (label, callback_data) pairs; callback data is at most 64 bytes. Labels are
    plain text on Telegram (no HTML): a rendered label is decoded once here."""
    for row in rows:
        for _, data in row:
            if len(data.encode()) > 64:
                raise ValueError(f"callback data too long: {data!r}")
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(plain(label), callback_data=data) for label, data in row]
            for row in rows
        ]
    )


@dataclass
class Request:
    """One allowed call, with everything a handler needs."""

    update: Update
    context: ContextTypes.DEFAULT_TYPE
    app: AppContext
    caller: Caller | None
    args: list[str]
    # For groups: purposes this chat is registered for → branch id served (None = all).
    group: dict[str, int | None]
    query: CallbackQuery | None = None
    payload: str = ""

    @property
    def locale(self) -> str:
        return self.caller.locale if self.caller else self.app.settings.default_locale

    @property
    def chat_id(self) -> int:
        chat = self.update.effective_chat
        assert chat is not None
        return chat.id

    @property
    def user_id(self) -> int:
        user = self.update.effective_user
        assert user is not None
        return user.id

    @property
    def me(self) -> Caller:
        assert self.caller is not None, "handler declared public but used the caller"
        return self.caller

    def t(self, key: str, **kw: Any) -> str:
        return t(self.locale, key, **kw)

    async def reply(self, text: str, markup: InlineKeyboardMarkup | None = None) -> Message:
        return await self.context.bot.send_message(
            self.chat_id,
            text,
            parse_mode=ParseMode.HTML,
            reply_markup=markup,
            disable_web_page_preview=True,
        )

    async def say(self, key: str, markup: InlineKeyboardMarkup | None = None, **kw: Any) -> Message:
        return await self.reply(self.t(key, **kw), markup)

    async def edit(self, text: str, markup: InlineKeyboardMarkup | None = None) -> None:
        """Replace the text of the message whose button was pressed."""
        assert self.query is not None
        await self.query.edit_message_text(
            text, parse_mode=ParseMode.HTML, reply_markup=markup, disable_web_page_preview=True
        )

    async def drawing(self) -> None:
        """Before a chart: answer the tapped button now (its spinner stops, a short toast says
        a chart is coming) and show "sending a photo…" while the chart process draws."""
        if self.query is not None and not getattr(self, "_answered", False):
            self._answered = True
            with contextlib.suppress(TelegramError):
                await self.query.answer(plain(self.t("core.drawing")))
        with contextlib.suppress(TelegramError):
            await self.context.bot.send_chat_action(self.chat_id, ChatAction.UPLOAD_PHOTO)

    async def photo(self, path: str, caption: str = "") -> Message:
        with open(path, "rb") as fh:
            return await self.context.bot.send_photo(
                self.chat_id, fh, caption=caption or None, parse_mode=ParseMode.HTML
            )


def app_context(context: ContextTypes.DEFAULT_TYPE) -> AppContext:
    return context.application.bot_data["ctx"]


def _who(
    s: Any, user_id: int, chat_id: int, chat_type: str, now: Any
) -> tuple[Caller | None, dict[str, int | None]]:
    """The caller (if bound and allowed in) and, in groups, the chat's registered purposes."""
    caller = people.identify(s, user_id, now)
    group = people.group_purposes(s, chat_id) if chat_type in GROUP else {}
    return caller, group


def _refusal(access: Access, caller: Caller | None, chat_type: str, group: dict) -> str | None:
    """The message key explaining a refusal, or None when the call is allowed."""
    if caller is None and not access.public:
        return "core.not_bound"
    # The role first: someone who may not use the command at all is told so, not sent to
    # another chat where they would be refused again.
    if caller is not None and access.roles is not None and not caller.has_role(*access.roles):
        return "core.no_role"
    if chat_type not in access.chats:
        return "core.private_only" if chat_type in GROUP else "core.group_only"
    if chat_type in GROUP and access.group_purpose and access.group_purpose not in group:
        return "core.wrong_group"
    return None


def allowed_commands(caller: Caller | None, chat_type: str, group: dict) -> list[CommandSpec]:
    specs = sorted(REGISTRY.commands.values(), key=lambda c: (c.order, c.name))
    return [c for c in specs if c.help_key and _refusal(c.access, caller, chat_type, group) is None]


async def _dispatch(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    action: str,
    access: Access,
    callback: Callback,
    args: list[str],
    query: CallbackQuery | None = None,
    payload: str = "",
) -> None:
    app = app_context(context)
    user = update.effective_user
    chat = update.effective_chat
    if user is None or chat is None:
        return
    now = app.clock.now()
    caller, group = await app.run(_who, user.id, chat.id, chat.type, now)
    if chat.type == ChatType.PRIVATE:
        sync_person_menu(
            context.bot,
            menu_state(context.bot_data),
            chat.id,
            set(caller.roles) if caller else None,
            caller.locale if caller else app.settings.default_locale,
        )
    refusal = _refusal(access, caller, chat.type, group)
    if refusal is not None:
        await app.run(
            people.audit,
            now,
            action,
            "denied",
            employee_id=caller.employee_id if caller else None,
            telegram_user_id=user.id,
            chat_id=chat.id,
            detail=refusal,
        )
        locale = caller.locale if caller else app.settings.default_locale
        text = t(locale, refusal)
        if query is not None:
            await query.answer(plain(text)[:190], show_alert=True)
        elif refusal != "core.not_bound" or chat.type == ChatType.PRIVATE:
            # In groups we stay quiet towards strangers rather than spam the chat.
            await context.bot.send_message(chat.id, text, parse_mode=ParseMode.HTML)
        return
    if access.audit_allowed:
        await app.run(
            people.audit,
            now,
            action,
            "allowed",
            employee_id=caller.employee_id if caller else None,
            telegram_user_id=user.id,
            chat_id=chat.id,
        )
    req = Request(update, context, app, caller, args, group, query, payload)
    await callback(req)
    if query is not None and not getattr(req, "_answered", False):
        try:
            await query.answer()
        except Exception:  # an already-answered or expired query is harmless
            log.debug("callback query answer failed", exc_info=True)


def _command_handler(spec: CommandSpec) -> CommandHandler:
    async def run(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await _dispatch(
            update, context, f"/{spec.name}", spec.access, spec.callback, list(context.args or [])
        )

    # Slow commands (LLM) must not hold up everyone else's updates.
    return CommandHandler(spec.name, run, block=False)


def _button_handler(spec: ButtonSpec) -> CallbackQueryHandler:
    async def run(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        assert query is not None
        data = query.data or ""
        payload = data.split(":", 1)[1] if ":" in data else ""
        await _dispatch(
            update,
            context,
            f"btn:{spec.prefix}",
            spec.access,
            spec.callback,
            payload.split(":") if payload else [],
            query,
            payload,
        )

    return CallbackQueryHandler(run, pattern=f"^{spec.prefix}(:|$)", block=False)


async def identify(context: ContextTypes.DEFAULT_TYPE, user_id: int) -> Caller | None:
    app = app_context(context)
    now = app.clock.now()
    return await app.run(lambda s: people.identify(s, user_id, now))


async def _on_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    app = app_context(context)
    user, chat, msg = update.effective_user, update.effective_chat, update.effective_message
    if user is None or chat is None or msg is None:
        return
    now = app.clock.now()
    caller, group = await app.run(_who, user.id, chat.id, chat.type, now)
    if caller is None:
        if chat.type == ChatType.PRIVATE:
            await context.bot.send_message(
                chat.id, t(app.settings.default_locale, "core.not_bound"), parse_mode=ParseMode.HTML
            )
        return
    req = Request(update, context, app, caller, [], group)
    for spec in REGISTRY.texts:
        if _refusal(spec.access, caller, chat.type, group) is None and await spec.callback(req):
            return
    if chat.type == ChatType.PRIVATE:
        await req.say("core.unknown_text")


async def _on_unknown_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    chat = update.effective_chat
    if chat is None or chat.type != ChatType.PRIVATE or update.effective_user is None:
        return
    caller = await identify(context, update.effective_user.id)
    locale = caller.locale if caller else app_context(context).settings.default_locale
    key = "core.unknown_command" if caller else "core.not_bound"
    await context.bot.send_message(chat.id, t(locale, key), parse_mode=ParseMode.HTML)


def install(application: Application) -> None:
    """Import every handler module (so they register) and add their handlers."""
    import importlib

    from handlers import HANDLER_MODULES

    for mod in HANDLER_MODULES:
        importlib.import_module(mod)
    for spec in REGISTRY.commands.values():
        application.add_handler(_command_handler(spec))
    for bspec in REGISTRY.buttons.values():
        application.add_handler(_button_handler(bspec))
    for factory in REGISTRY.extra:
        application.add_handler(factory())
    application.add_handler(
        MessageHandler(
            filters.TEXT & ~filters.COMMAND & ~filters.UpdateType.EDITED, _on_text, block=False
        )
    )
    # Same group and added last: only reached when no CommandHandler above matched.
    application.add_handler(MessageHandler(filters.COMMAND, _on_unknown_command))
