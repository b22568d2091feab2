"""/score (a collector's own live scorecard + trend chart) and /team (leads and HR)."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from telegram import InlineKeyboardMarkup

from bot.charts.cache import render_once
from bot.charts.worker import Chart
from bot.dashboard.links import with_web_app
from coaching import competency, people
from coaching.scoring import config_for
from coaching.scoring import service as svc
from coaching.scoring.engine import add_months
from handlers.base import ANY_CHAT, GROUP, PRIVATE, Access, Request, button, command
from handlers.base import keyboard as kb

COLLECTOR = Access(roles=frozenset({"collector"}), chats=PRIVATE)
MANAGERS = Access(
    roles=frozenset({"team_lead", "hr", "admin"}),
    chats=ANY_CHAT,
    group_purpose="hr_alerts",
    audit_allowed=True,
)
MAX_PICK = 24  # more teams than this: type the code (Telegram keyboards get unwieldy)


def _cfg(req: Request):  # type: ignore[no-untyped-def]
    return config_for(req.app.settings)


@command("score", access=COLLECTOR, help_key="score.help_score", order=20)
async def score(req: Request) -> None:
    now = req.app.clock.now()
    view = await req.app.run(svc.my_view, _cfg(req), req.me.employee_id, now)
    if view is None:
        await req.say("score.no_card")
        return
    markup = kb([[(req.t("score.trend_button"), "score:trend")]])
    weakest = await req.app.run(competency.weakest_one, req.me.employee_id)
    await req.say(
        "score.card",
        markup,
        weakest=weakest,
        c=view.card,
        month=view.card.month.strftime("%Y-%m"),
        live=view.live,
        this_month=view.this_month.strftime("%Y-%m"),
        prev_month=add_months(view.card.month, -1).strftime("%Y-%m"),
    )


@button("score", access=COLLECTOR)
async def score_trend(req: Request) -> None:
    # The chart is always the caller's own: no employee id travels in the button.
    now = req.app.clock.now()
    emp_no, points = await req.app.run(svc.trend_points, _cfg(req), req.me.employee_id, now)
    today = now.astimezone(ZoneInfo(req.me.timezone)).date()
    await req.drawing()
    path = await render_once(
        svc.chart_dir(req.app.output_dir),
        f"trend-{emp_no}-{points[-1].month:%Y-%m}",
        Chart(
            "bot.charts.scoring:trend_chart",
            (tuple(points), emp_no),
            {"locale": req.locale, "today": today},
        ),
    )
    await req.photo(str(path), req.t("score.trend_caption", employee_no=emp_no))


def _in_group(req: Request) -> bool:
    chat = req.update.effective_chat
    return chat is not None and chat.type in GROUP


def _hr_branch_scope(req: Request) -> tuple[bool, int | None]:
    """(is HR-like, branch id or None for all) for the caller in this chat."""
    if not req.me.has_role("hr", "admin"):
        return False, None
    if _in_group(req):
        return True, req.group.get("hr_alerts")
    return True, None if req.me.has_role("admin") else req.me.branch_id


async def _refuse(
    req: Request,
    detail: str,
    key: str = "core.no_role",
    markup: InlineKeyboardMarkup | None = None,
    **kw: Any,
) -> None:
    await req.app.run(
        people.audit,
        req.app.clock.now(),
        "/team",
        "denied",
        employee_id=req.me.employee_id,
        telegram_user_id=req.user_id,
        chat_id=req.chat_id,
        detail=detail,
    )
    await req.say(key, markup, **kw)


async def _visible(req: Request) -> list[svc.TeamRef]:
    """The teams the caller may open here: HR and admins every team of their scope, a lead
    the teams they lead (never in a group chat)."""
    hr, scope = _hr_branch_scope(req)
    if hr:
        return await req.app.run(svc.teams_in, scope)
    if _in_group(req):
        return []
    led = await req.app.run(svc.led_team_ids, req.me.employee_id, req.me.team_id)
    return await req.app.run(svc.teams_by_ids, led)


async def _may_see(req: Request, team: svc.TeamRef) -> bool:
    return any(t.id == team.id for t in await _visible(req))


def _picker(teams: list[svc.TeamRef]) -> InlineKeyboardMarkup | None:
    """One button per team: on a phone a tap beats typing a code."""
    if not teams or len(teams) > MAX_PICK:
        return None
    return kb([[(f"{t.code} {t.name}", f"team:{t.id}")] for t in teams])


async def _show_team(req: Request, team: svc.TeamRef) -> None:
    view = await req.app.run(svc.team_view, _cfg(req), team.id, req.app.clock.now())
    assert view is not None
    markup = with_web_app(
        kb([[(req.t("score.heatmap_button"), f"teamhm:{team.id}")]]),
        req.app.settings,
        req.locale,
        not _in_group(req),
        "team",
        team=team.id,
    )
    await req.say("score.team_table", markup, v=view, month=view.month.strftime("%Y-%m"))


async def _by_code(req: Request, code: str, mine: list[svc.TeamRef]) -> None:
    """`/team CODE`: the team if the caller may see it, else why not, with their own teams
    as buttons."""
    code = code[:32]
    ref = await req.app.run(svc.team_by_code, code)
    if ref is None:
        await req.say("score.unknown_team", _picker(mine), code=code, mine=mine)
        return
    if any(t.id == ref.id for t in mine):
        await _show_team(req, ref)
        return
    hr, scope = _hr_branch_scope(req)
    if hr:
        where = await req.app.run(svc.branch_name, scope)
        await _refuse(
            req,
            f"team {ref.code} outside the caller's branch",
            "score.team_other_branch",
            _picker(mine),
            team=ref,
            scope=where,
        )
    else:
        await _refuse(
            req,
            f"team {ref.code} not led by the caller",
            "score.team_not_led",
            _picker(mine),
            team=ref,
            mine=mine,
        )


@command("team", access=MANAGERS, help_key="score.help_team", order=21)
async def team(req: Request) -> None:
    hr, _ = _hr_branch_scope(req)
    if not hr and _in_group(req):
        await _refuse(req, "team lead in HR chat", "score.lead_in_group")
        return
    mine = await _visible(req)
    if req.args:
        await _by_code(req, req.args[0], mine)
        return
    if not hr:
        if not mine:
            await req.say("score.no_team")
        elif len(mine) == 1:
            await _show_team(req, mine[0])
        else:
            await req.say("score.pick_team", _picker(mine))
        return
    now = req.app.clock.now()
    for bid in sorted({t.branch_id for t in mine}):
        code, summary = await req.app.run(svc.branch_comparison, _cfg(req), bid, now)
        await req.say("score.comparison", branch=code, teams=summary)
    if mine:
        await req.say("score.pick_team", _picker(mine), many=len(mine) > MAX_PICK)


async def _team_from_payload(req: Request) -> svc.TeamRef | None:
    try:
        tid = int(req.payload)
    except ValueError:
        return None
    ref = await req.app.run(svc.team_by_id, tid)
    if ref is None:
        return None
    if not await _may_see(req, ref):
        await _refuse(req, f"team {ref.code} out of scope")
        return None
    return ref


@button("team", access=MANAGERS)
async def team_pick(req: Request) -> None:
    ref = await _team_from_payload(req)
    if ref is not None:
        await _show_team(req, ref)


@button("teamhm", access=MANAGERS)
async def team_heatmap(req: Request) -> None:
    ref = await _team_from_payload(req)
    if ref is None:
        return
    view = await req.app.run(svc.team_view, _cfg(req), ref.id, req.app.clock.now())
    assert view is not None
    month = view.month.strftime("%Y-%m")
    title = f"{ref.code} {month}"
    await req.drawing()
    path = await render_once(
        svc.chart_dir(req.app.output_dir),
        f"heatmap-{ref.code}-{month}",
        Chart("bot.charts.scoring:heatmap_chart", (view.cards, title), {"locale": req.locale}),
    )
    await req.photo(str(path), req.t("score.heatmap_caption", team=ref.code, month=month))
