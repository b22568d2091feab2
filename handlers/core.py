"""/start (binding with an invite code), /help, /lang."""

from __future__ import annotations

from bot.i18n import t
from bot.menus import menu_state, set_person_menu
from bot.settings import SUPPORTED_LOCALES
from coaching import people
from coaching.people import RedeemResult
from handlers.base import ANY_CHAT, PRIVATE, Access, Request, allowed_commands, button, command
from handlers.base import keyboard as kb


@command("start", access=Access(public=True, chats=PRIVATE), order=0)
async def start(req: Request) -> None:
    if not req.args:
        if req.caller is None:
            await req.say("core.not_bound")
        else:
            await req.say("core.welcome_back", name=req.me.name)
            await help_(req)
        return
    now = req.app.clock.now()
    code = req.args[0]
    result, caller = await req.app.run(people.redeem_invite, code, req.user_id, req.chat_id, now)
    await req.app.run(
        people.audit,
        now,
        "/start",
        "allowed" if caller else "denied",
        employee_id=caller.employee_id if caller else None,
        telegram_user_id=req.user_id,
        chat_id=req.chat_id,
        detail=f"invite {result}",
    )
    if result is RedeemResult.BOUND and caller is not None:
        await req.reply(t(caller.locale, "core.bound", name=caller.name))
        req.caller = caller
        await help_(req)
        # This person's own command menu, by their roles and language (failures only logged).
        await set_person_menu(
            req.context.bot,
            req.chat_id,
            set(caller.roles),
            caller.locale,
            menu_state(req.context.bot_data),
        )
    else:
        await req.say(f"core.invite_{result.value}")


@command("help", access=Access(chats=ANY_CHAT), help_key="core.help_help", order=1)
async def help_(req: Request) -> None:
    chat = req.update.effective_chat
    assert chat is not None
    specs = allowed_commands(req.caller, chat.type, req.group)
    lines = [(f"/{c.name}", req.t(c.help_key)) for c in specs if c.help_key]
    await req.say("core.help", commands=lines, name=req.me.name, roles=sorted(req.me.roles))


@command("lang", access=Access(), help_key="core.help_lang", order=90)
async def lang(req: Request) -> None:
    if req.args and req.args[0] in SUPPORTED_LOCALES:
        await _set_lang(req, req.args[0])
        return
    markup = kb([[("中文", "lang:zh_CN"), ("English", "lang:en")]])
    await req.say("core.lang_pick", markup)


@button("lang", access=Access())
async def lang_button(req: Request) -> None:
    if req.payload not in SUPPORTED_LOCALES:
        return
    await _set_lang(req, req.payload)


async def _set_lang(req: Request, locale: str) -> None:
    await req.app.run(people.set_locale, req.me.employee_id, locale)
    await req.reply(t(locale, "core.lang_set"))
    if req.update.effective_chat is not None and req.update.effective_chat.type == "private":
        await set_person_menu(
            req.context.bot,
            req.chat_id,
            set(req.me.roles),
            locale,
            menu_state(req.context.bot_data),
        )
