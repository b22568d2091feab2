"""/plan (today), /plan tomorrow, the per-block "more" button and /settings toggles."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date, datetime, timedelta

from bot.jobs.plans import config_for, get_prefs, render_plan, toggle_pref
from coaching.plans.days import plan_day, plan_view
from handlers.base import PRIVATE, Access, Request, button, command
from handlers.base import keyboard as kb

COLLECTOR = Access(roles=frozenset({"collector"}), chats=PRIVATE)
ANYONE = Access(chats=PRIVATE)


def _today(req: Request) -> date:
    return req.app.clock.now().astimezone(_tz(req)).date()


def _tz(req: Request):  # type: ignore[no-untyped-def]
    from zoneinfo import ZoneInfo

    return ZoneInfo(req.me.timezone)


@command("plan", access=COLLECTOR, help_key="plan.help_plan", order=10)
async def plan(req: Request) -> None:
    arg = (req.args[0].lower() if req.args else "").strip()
    if arg not in ("", "today", "tomorrow", "明天", "明日"):
        await req.say("plan.bad_arg")
        return
    tomorrow = arg in ("tomorrow", "明天", "明日")
    day = _today(req) + timedelta(days=1 if tomorrow else 0)
    now = req.app.clock.now()
    status, p, cfg = await req.app.run(plan_day, req.me.employee_id, day, now, config_for)
    if tomorrow and status.kind == "off":
        # Friday evening: "tomorrow" means the next working day, not "no plan".
        asked = day
        for _ in range(14):
            day += timedelta(days=1)
            status, p, cfg = await req.app.run(plan_day, req.me.employee_id, day, now, config_for)
            if status.kind != "off":
                break
        if status.works and p is not None:
            await req.say("plan.next_workday", day=asked.isoformat(), next=day.isoformat())
    if status.kind == "leave":
        await req.say("plan.on_leave", day=day.isoformat())
        return
    if not status.works or p is None:
        await req.say("plan.not_workday", day=day.isoformat())
        return
    when = "today" if not tomorrow else ("tomorrow" if day == _today(req) + timedelta(1) else "")
    text, rows = render_plan(p, cfg, when=when)
    await req.reply(text, kb(rows) if rows else None)


@button("plan", access=COLLECTOR)
async def plan_more(req: Request) -> None:
    # plan:more:<block id>:<YYYYMMDD>
    if len(req.args) != 3 or req.args[0] != "more":
        return
    block_id, raw_day = req.args[1], req.args[2]
    try:
        day = datetime.strptime(raw_day, "%Y%m%d").date()
    except ValueError:
        return
    now = req.app.clock.now()
    _, p, cfg = await req.app.run(plan_view, req.me.employee_id, day, now, config_for)
    blk = next((b for b in p.blocks if b.id == block_id), None) if p else None
    if blk is None:
        await req.say("plan.no_block")
        return
    await req.say("plan.detail", b=asdict(blk), limit=cfg.more_limit, day=day.isoformat())


def _settings_markup(req: Request, nudges: bool, recap: bool):  # type: ignore[no-untyped-def]
    return kb(
        [
            [(req.t("plan.toggle_nudges", on=nudges), "settings:nudges")],
            [(req.t("plan.toggle_recap", on=recap), "settings:recap")],
        ]
    )


@command("settings", access=ANYONE, help_key="plan.help_settings", order=80)
async def settings(req: Request) -> None:
    if not req.me.has_role("collector"):
        # Plans, nudges and recaps go to collectors only: HR or a trainer has nothing to set.
        await req.say("plan.settings_none")
        return
    nudges, recap = await req.app.run(get_prefs, req.me.employee_id)
    await req.say("plan.settings", _settings_markup(req, nudges, recap), nudges=nudges, recap=recap)


@button("settings", access=ANYONE)
async def settings_toggle(req: Request) -> None:
    if req.payload not in ("nudges", "recap"):
        return
    nudges, recap = await req.app.run(
        toggle_pref, req.me.employee_id, req.payload, req.app.clock.now()
    )
    await req.edit(
        req.t("plan.settings", nudges=nudges, recap=recap), _settings_markup(req, nudges, recap)
    )
