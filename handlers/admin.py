"""Administration in chat: invite codes (HR/admin) and registering group chats (admin)."""

from __future__ import annotations

from bot.i18n import t
from coaching import people
from coaching.people import Invite
from db.models.org import ChatPurpose
from handlers.base import GROUP, PRIVATE, Access, Request, command

HR_CHAT = Access(
    roles=frozenset({"hr", "admin"}), chats=GROUP, group_purpose="hr_alerts", audit_allowed=True
)


@command("invite", access=HR_CHAT, help_key="admin.help_invite", order=50)
async def invite(req: Request) -> None:
    if len(req.args) != 1:
        await req.say("admin.invite_usage")
        return
    s = req.app.settings
    result = await req.app.run(
        people.create_invite,
        req.args[0],
        req.app.clock.now(),
        s.invite_ttl_hours,
        req.me.employee_id,
    )
    if not isinstance(result, Invite):
        await req.say(f"admin.invite_{result.value}", employee_no=req.args[0])
        return
    await req.say(
        "admin.invite_created",
        employee_no=result.employee_no,
        name=result.name,
        code=result.code,
        link=result.link(s.bot_username),
        hours=s.invite_ttl_hours,
    )


@command(
    "register",
    access=Access(roles=frozenset({"admin"}), chats=GROUP, audit_allowed=True),
    help_key="admin.help_register",
    order=60,
)
async def register(req: Request) -> None:
    purposes = [p.value for p in ChatPurpose]
    if not req.args or req.args[0] not in purposes:
        await req.say("admin.register_usage", purposes=purposes)
        return
    chat = req.update.effective_chat
    assert chat is not None
    branch = req.args[1] if len(req.args) > 1 else None
    row = await req.app.run(
        people.register_group,
        chat.id,
        req.args[0],
        chat.title or "",
        branch,
        req.me.employee_id,
        req.app.clock.now(),
    )
    if row is None:
        await req.say("admin.unknown_branch", branch=branch)
        return
    await req.say("admin.registered", purpose=req.args[0], branch=branch or "*")


@command("whoami", access=Access(chats=PRIVATE), help_key="admin.help_whoami", order=95)
async def whoami(req: Request) -> None:
    me = req.me
    await req.reply(t(me.locale, "admin.whoami", me=me, roles=sorted(me.roles)))
