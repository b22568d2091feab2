"""Administration in chat: invite codes (HR/admin), registering group chats (admin)."""

from __future__ import annotations

from html import escape

from bot.i18n import t
from bot.menus import set_group_menu
from coaching import groups, people
from coaching.people import Invite
from handlers.base import ANY_CHAT, GROUP, PRIVATE, Access, Request, button, command, keyboard

HR_CHAT = Access(
    roles=frozenset({"hr", "admin"}), chats=GROUP, group_purpose="hr_alerts", audit_allowed=True
)
ADMIN_GROUP = Access(roles=frozenset({"admin"}), chats=GROUP, audit_allowed=True)


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
        scope=people.invite_scope(req.me),
        chat_scope=req.group.get("hr_alerts"),
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


@command("register", access=ADMIN_GROUP, help_key="admin.help_register", order=60)
async def register(req: Request) -> None:
    if not req.args or req.args[0] not in groups.PURPOSES:
        await req.say("admin.register_usage", purposes=list(groups.PURPOSES))
        return
    purpose = req.args[0]
    branch = req.args[1] if len(req.args) > 1 else None
    clash = await req.app.run(groups.conflicts, req.chat_id, purpose)
    if clash:
        await req.say("admin.register_hr_exclusive", purpose=purpose, have=clash)
        return
    if purpose != groups.EXCLUSIVE:
        await _register(req, purpose, branch)
        return
    if branch and not await req.app.run(groups.branch_exists, branch):
        await req.say("admin.unknown_branch", branch=branch)
        return
    # HR alerts name staff: show who in this chat is bound and not HR, then ask.
    candidates = await req.app.run(groups.non_hr_bound)
    bot = req.context.bot

    async def status(uid: int) -> str:
        return str((await bot.get_chat_member(req.chat_id, uid)).status)

    present, unknown = await groups.non_hr_members(candidates, status)
    await req.say(
        "admin.register_confirm",
        present=[f"{m.employee_no} {escape(m.name)}" for m in present],
        unknown=len(unknown),
        branch=branch or "*",
        markup=keyboard(
            [
                [
                    (req.t("admin.btn_register"), f"grp:ok:{branch or '*'}"),
                    (req.t("admin.btn_cancel"), "grp:no"),
                ]
            ]
        ),
    )


@button("grp", access=ADMIN_GROUP)
async def register_confirmed(req: Request) -> None:
    if not req.args or req.args[0] != "ok":
        await req.edit(req.t("admin.register_cancelled"))
        return
    branch = req.args[1] if len(req.args) > 1 and req.args[1] != "*" else None
    await _register(req, groups.EXCLUSIVE, branch, edit=True)


async def _register(req: Request, purpose: str, branch: str | None, edit: bool = False) -> None:
    chat = req.update.effective_chat
    assert chat is not None
    row = await req.app.run(
        groups.register,
        chat.id,
        purpose,
        chat.title or "",
        branch,
        req.me.employee_id,
        req.app.clock.now(),
    )
    if row == groups.GroupError.UNKNOWN_BRANCH:
        text = req.t("admin.unknown_branch", branch=branch)
    elif row == groups.GroupError.HR_EXCLUSIVE:
        have = await req.app.run(groups.conflicts, chat.id, purpose)
        text = req.t("admin.register_hr_exclusive", purpose=purpose, have=have)
    else:
        text = req.t("admin.registered", purpose=purpose, branch=branch or "*")
    await (req.edit(text) if edit else req.reply(text))
    await _group_menu(req, chat.id)


async def _group_menu(req: Request, chat_id: int) -> None:
    """The group's command menu follows what it is registered for."""
    held = await req.app.run(people.group_purposes, chat_id)
    await set_group_menu(req.context.bot, chat_id, set(held), req.locale)


@command("unregister", access=ADMIN_GROUP, help_key="admin.help_unregister", order=61)
async def unregister(req: Request) -> None:
    purpose = req.args[0] if req.args else None
    gone = await req.app.run(groups.unregister, req.chat_id, purpose)
    await req.say("admin.unregistered" if gone else "admin.not_registered", purposes=gone)
    if gone:
        await _group_menu(req, req.chat_id)


@command(
    "groups",
    access=Access(roles=frozenset({"admin"}), chats=ANY_CHAT),
    help_key="admin.help_groups",
    order=62,
)
async def list_groups(req: Request) -> None:
    rows = await req.app.run(groups.list_groups)
    await req.say("admin.groups", rows=rows)


@command("whoami", access=Access(chats=PRIVATE), help_key="admin.help_whoami", order=95)
async def whoami(req: Request) -> None:
    me = req.me
    await req.reply(t(me.locale, "admin.whoami", me=me, roles=sorted(me.roles)))
