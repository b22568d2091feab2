"""HR: /risk, /attrition, /exit and the alert buttons. Risk data only for HR roles, in the
branch's registered HR chat or in private; every view is audit-logged."""

from __future__ import annotations

import logging
from datetime import date, timedelta
from typing import Any

from telegram import ForceReply, InlineKeyboardMarkup
from telegram.error import TelegramError

from bot.charts import worker as charts
from bot.charts.worker import Chart
from bot.dashboard.links import with_web_app
from bot.i18n import label
from bot.jobs.risk import config
from bot.notify import payload
from coaching.risk import alerts, attrition, exits
from coaching.risk.exits import ExitError
from handlers.base import ANY_CHAT, GROUP, Access, Request, button, command, keyboard, text

log = logging.getLogger(__name__)

HR_ROLES = frozenset({"hr", "admin"})
# HR chat of the branch, or an HR person in private.
HR_ANY = Access(roles=HR_ROLES, chats=ANY_CHAT, group_purpose="hr_alerts", audit_allowed=True)
# Only inside a registered HR chat (the alert buttons).
HR_CHAT = Access(roles=HR_ROLES, chats=GROUP, group_purpose="hr_alerts", audit_allowed=True)


def scope(req: Request) -> int | None:
    """The branch whose data this request may see; None means every branch."""
    if "hr_alerts" in req.group:
        return req.group["hr_alerts"]
    return None if req.me.has_role("admin") else req.me.branch_id


@command("risk", access=HR_ANY, help_key="hr.help_risk", order=40)
async def risk(req: Request) -> None:
    sc = scope(req)
    cfg = config(req.app)
    views = await req.app.run(
        alerts.current_views,
        None if sc is None else {sc},
        req.app.clock.now(),
        cfg,
        req.me.employee_id,
    )
    chat = req.update.effective_chat
    private = chat is not None and chat.type == "private"
    for i, v in enumerate(views):
        last = i == len(views) - 1
        markup = with_web_app(None, req.app.settings, req.locale, private, "risk") if last else None
        await req.say("hr.risk_list", markup, **v)


@command("attrition", access=HR_ANY, help_key="hr.help_attrition", order=41)
async def attrition_cmd(req: Request) -> None:
    sc = scope(req)
    today = req.app.clock.now().date()
    rep = await req.app.run(attrition.report, today, None if sc is None else {sc})

    def pct(r: Any) -> str:
        return "-" if r.rate is None else f"{100 * r.rate:.1f}%"

    await req.say("hr.attrition", rep=rep, pct=pct)
    path = req.app.output_dir / f"attrition-{req.chat_id}-{today}.png"
    await req.drawing()
    await charts.draw(Chart("bot.charts.attrition:chart", (rep,), {"locale": req.locale}), path)
    await req.photo(str(path))


# --- alert buttons ---------------------------------------------------------------------------


@button("hrr", access=HR_CHAT)
async def risk_button(req: Request) -> None:
    if len(req.args) != 2 or not req.args[1].isdigit():
        await req.say("hr.bad_button")
        return
    opening = req.args[0] == "o"  # a digest's person button: their card as a new message
    result = await req.app.run(
        *((alerts.open_card,) if opening else (alerts.record_action, req.args[0])),
        int(req.args[1]),
        req.me,
        req.chat_id,
        req.group.get("hr_alerts"),
        req.app.clock.now(),
        config(req.app),
    )
    if not result.ok:
        assert req.query is not None
        await req.query.answer(label(req.locale, f"hr.{result.error}")[:190], show_alert=True)
        req._answered = True  # type: ignore[attr-defined]
        return
    assert result.card is not None
    body = payload(result.card)
    kb = body.get("reply_markup")
    markup = InlineKeyboardMarkup.de_json(kb, req.context.bot) if kb else None
    if opening:
        await req.reply(body["text"], markup)
    else:
        await req.edit(body["text"], markup)


# --- exit workflow -------------------------------------------------------------------------


def _ask_markup(req: Request, d: dict[str, Any]) -> Any:
    if d["awaiting"] == "category":
        return keyboard(
            [[(req.t(f"hr.cat_{c}"), f"hrx:cat:{d['id']}:{c}") for c in exits.CATEGORIES]]
        )
    if d["awaiting"] == "last_day":
        today = req.app.clock.now().astimezone(_tz(req)).date()
        return keyboard(
            [
                [
                    (
                        req.t("hr.days_label", n=n),
                        f"hrx:day:{d['id']}:{today + timedelta(days=n):%Y%m%d}",
                    )
                    for n in (0, 7, 14, 30)
                ]
            ]
        )
    if d["awaiting"] == "handover" and d["handover"]:
        return keyboard([[(req.t("hr.btn_handover_done"), f"hrx:hd:{d['id']}")]])
    if d["awaiting"] == "confirm":
        return keyboard(
            [
                [
                    (req.t("hr.btn_confirm"), f"hrx:ok:{d['id']}"),
                    (req.t("hr.btn_cancel"), f"hrx:no:{d['id']}"),
                ]
            ]
        )
    return None


def _tz(req: Request) -> Any:
    from zoneinfo import ZoneInfo

    return ZoneInfo(req.me.timezone)


# Steps answered by typing. In a group with privacy mode on (Telegram's default for bots) the
# bot sees a typed line only when it replies to the bot, so these prompts ask for a reply.
TYPED_STEPS = {"detail", "handover", "interview"}


async def _show(req: Request, d: dict[str, Any], edit: bool) -> None:
    key = "hr.exit_review" if d["awaiting"] == "confirm" else "hr.exit_ask"
    body = req.t(key, d=d)
    markup = _ask_markup(req, d)
    chat = req.update.effective_chat
    if d["awaiting"] in TYPED_STEPS and chat is not None and chat.type in GROUP:
        if edit and req.query is not None:  # the pressed message's buttons are spent
            try:
                await req.query.edit_message_reply_markup(reply_markup=None)
            except TelegramError:
                log.debug("could not clear the old buttons", exc_info=True)
        placeholder = req.t("hr.exit_reply_placeholder")[:64]
        await req.reply(
            body,
            ForceReply(selective=False, input_field_placeholder=placeholder),  # type: ignore[arg-type]
        )
        return
    if edit:
        await req.edit(body, markup)
    else:
        await req.reply(body, markup)


async def _error(req: Request, exc: ExitError) -> None:
    # "today" in the person's branch: a leaving date still ahead is not "has left".
    today = req.app.clock.now().astimezone(_tz(req)).date()
    await req.say("hr.exit_error", code=exc.code, p=exc.params, today=today)


@command("exit", access=HR_ANY, help_key="hr.help_exit", order=42)
async def exit_cmd(req: Request) -> None:
    if len(req.args) != 1:
        await req.say("hr.exit_usage")
        return

    def work(s: Any) -> dict[str, Any]:
        rec = exits.start_draft(
            s, req.args[0], req.me.employee_id, req.chat_id, scope(req), req.app.clock.now()
        )
        return exits.summary(s, rec)

    try:
        d = await req.app.run(work)
    except ExitError as exc:
        await _error(req, exc)
        return
    await _show(req, d, edit=False)


@button("hrx", access=HR_ANY)
async def exit_button(req: Request) -> None:
    if len(req.args) < 2 or not req.args[1].isdigit():
        await req.say("hr.bad_button")
        return
    step, draft_id, by = req.args[0], int(req.args[1]), req.me.employee_id
    now = req.app.clock.now()

    def work(s: Any) -> dict[str, Any] | None:
        if step == "cat" and len(req.args) == 3:
            rec = exits.set_category(s, draft_id, by, req.args[2])
        elif step == "day" and len(req.args) == 3:
            d = req.args[2]
            rec = exits.set_last_day(s, draft_id, by, date(int(d[:4]), int(d[4:6]), int(d[6:8])))
        elif step == "hd":
            rec = exits.finish_handover(s, draft_id, by)
        elif step == "ok":
            rec = exits.confirm(s, draft_id, by, now)
        elif step == "no":
            exits.cancel(s, draft_id, by)
            return None
        else:
            raise ExitError("no_draft")
        return exits.summary(s, rec)

    try:
        d = await req.app.run(work)
    except ExitError as exc:
        await _error(req, exc)
        return
    if d is None:
        await req.edit(req.t("hr.exit_cancelled"))
    elif d["status"] == "recorded":
        await req.edit(req.t("hr.exit_done", d=d))
    else:
        await _show(req, d, edit=True)


@text("hr_exit_form", access=HR_ANY, priority=40)
async def exit_text(req: Request) -> bool:
    msg = req.update.effective_message
    if msg is None or not msg.text:
        return False

    def work(s: Any) -> dict[str, Any] | None:
        rec = exits.take_text(s, req.me.employee_id, req.chat_id, msg.text or "")
        return None if rec is None else exits.summary(s, rec)

    try:
        d = await req.app.run(work)
    except ExitError as exc:
        await _error(req, exc)
        return True
    if d is None:
        return False
    await _show(req, d, edit=False)
    return True
