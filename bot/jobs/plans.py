"""Plan messages: rendering, the morning fan-out, block nudges and the evening recap.

Every message goes through the outbox under a key per (recipient, kind, local date) — e.g.
`plan:morning:<employee id>:2026-03-02` — so re-runs, catch-ups after downtime and a second
bot process never deliver the same plan twice. A run is split into chunks of CHUNK recipients
that every bot process claims and builds (bot/jobs/chunks.py), one transaction per chunk, so a
process killed half-way keeps what it queued and its chunk is built again by another.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Any

from jinja2 import TemplateNotFound
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import outbox
from bot.context import AppContext
from bot.i18n import FALLBACK_LOCALE, environment, plain, t
from bot.jobs import chunks
from coaching.calendar import BranchInfo, is_workday
from coaching.plans.build import CHUNK, Plan, Recipient, build_plans
from coaching.plans.config import SELECTORS, DayPlan, get_config
from coaching.plans.days import day_stats, recipients
from db.models import NotificationPref

log = logging.getLogger(__name__)


def config_for(branch: BranchInfo) -> DayPlan:
    return get_config().for_branch(branch.code, branch.plan)


# --- rendering (shared by the job, /plan and the CLI) ----------------------------------------


@lru_cache(maxsize=8)
def _macros(locale: str) -> Any:
    """The plan.j2 macros of a locale, loaded once: the fan-out renders thousands of plans and
    `bot.i18n.t` would re-instantiate the template module for every message."""
    env = environment()
    try:
        return env.get_template(f"{locale}/plan.j2").module
    except TemplateNotFound:
        return env.get_template(f"{FALLBACK_LOCALE}/plan.j2").module


def warm_templates() -> None:
    """Compile the plan templates of every locale now (a bot process's start), not in the
    first morning's fan-out: ~15 ms of CPU per locale."""
    from bot.settings import SUPPORTED_LOCALES

    for locale in SUPPORTED_LOCALES:
        _macros(locale)


@lru_cache(maxsize=1024)
def _more_label(locale: str, selector: str, more: int) -> str:
    """A "more" button's label: a handful of distinct ones per run, rendered once each."""
    return str(_macros(locale).more_label(selector, more)).strip()


def more_rows(plan: Plan, cfg: DayPlan) -> list[list[tuple[str, str]]]:
    """One "more" button per block longer than `top`, two per row."""
    day = plan.day.strftime("%Y%m%d")
    btns = [
        (_more_label(plan.locale, b.selector, b.count - cfg.top), f"plan:more:{b.id}:{day}")
        for b in plan.blocks
        if b.count > cfg.top
    ]
    return [btns[i : i + 2] for i in range(0, len(btns), 2)]


def render_plan(plan: Plan, cfg: DayPlan, *, when: str = "today") -> tuple[str, list]:
    """The plan message and its "more" buttons; `when` is today, tomorrow or other."""
    # The Plan itself, not plan.to_dict(): Jinja2 looks attributes up with getattr first, so
    # objects render ~2x faster than dicts (a failed getattr per field) in the fan-out.
    text = str(_macros(plan.locale).plan(plan, cfg.top, when)).strip()
    return text, more_rows(plan, cfg)


@lru_cache(maxsize=1024)
def _plain_label(label: str) -> str:
    return plain(label)


def markup_dict(rows: list[list[tuple[str, str]]]) -> dict[str, Any] | None:
    if not rows:
        return None
    return {
        "inline_keyboard": [
            # Button labels are plain text on Telegram: decode the rendered label once.
            [{"text": _plain_label(label), "callback_data": data} for label, data in row]
            for row in rows
        ]
    }


def plan_payload(plan: Plan, cfg: DayPlan) -> dict[str, Any]:
    text, rows = render_plan(plan, cfg)
    payload: dict[str, Any] = {"text": text}
    markup = markup_dict(rows)
    if markup:
        payload["reply_markup"] = markup
    return payload


# --- preferences -----------------------------------------------------------------------------


def get_prefs(s: Session, employee_id: int) -> tuple[bool, bool]:
    row = s.execute(
        select(NotificationPref).where(NotificationPref.employee_id == employee_id)
    ).scalar_one_or_none()
    return (row.block_nudges, row.evening_recap) if row else (False, False)


def toggle_pref(s: Session, employee_id: int, which: str, now: datetime) -> tuple[bool, bool]:
    if which not in ("nudges", "recap"):
        raise ValueError(which)
    row = s.execute(
        select(NotificationPref).where(NotificationPref.employee_id == employee_id)
    ).scalar_one_or_none()
    if row is None:
        row = NotificationPref(
            employee_id=employee_id, block_nudges=False, evening_recap=False, updated_at=now
        )
        s.add(row)
    if which == "nudges":
        row.block_nudges = not row.block_nudges
    else:
        row.evening_recap = not row.evening_recap
    row.updated_at = now
    s.flush()
    return row.block_nudges, row.evening_recap


def _opted_in(s: Session, ids: list[int], column: str) -> set[int]:
    col = getattr(NotificationPref, column)
    out: set[int] = set()
    for i in range(0, len(ids), CHUNK):
        out.update(
            s.execute(
                select(NotificationPref.employee_id).where(
                    NotificationPref.employee_id.in_(ids[i : i + CHUNK]), col.is_(True)
                )
            ).scalars()
        )
    return out


# --- the jobs --------------------------------------------------------------------------------


def _workday_or_skip(ctx: AppContext, branch: BranchInfo, day: date, job: str) -> str | None:
    if not ctx.call(is_workday, branch, day):
        log.info("%s for %s skipped: %s is not a working day", job, branch.code, day)
        return f"skipped: {day} is not a working day"
    return None


# A fan-out's messages for one chunk of recipients: (recipient, payload or None to skip).
Make = Callable[[Session, list[Recipient], BranchInfo, date, datetime, DayPlan], list[Any]]


@dataclass(frozen=True)
class _Fan:
    kind: str  # in the outbox key: plan:<kind>:<employee id>:<local date>
    make: Make
    only: str | None = None  # a NotificationPref column: only those who opted in


def _morning(
    s: Session, chunk: list[Recipient], branch: BranchInfo, day: date, now: datetime, cfg: DayPlan
) -> list[Any]:
    plans = build_plans(s, chunk, branch, day, now, cfg, keep=cfg.top)
    return [(p, plan_payload(plan, cfg)) for p, plan in zip(chunk, plans, strict=True)]


def _nudge(block_id: str) -> Make:
    def make(
        s: Session,
        chunk: list[Recipient],
        branch: BranchInfo,
        day: date,
        now: datetime,
        cfg: DayPlan,
    ) -> list[Any]:
        plans = build_plans(s, chunk, branch, day, now, cfg, keep=cfg.top)
        out = []
        for p, plan in zip(chunk, plans, strict=True):
            b = next(x for x in plan.blocks if x.id == block_id)
            text = None
            if b.count:
                text = t(p.locale, "plan.nudge", b=_block_dict(b), day=day.isoformat())
            out.append((p, {"text": text} if text else None))
        return out

    return make


def _recap(
    s: Session, chunk: list[Recipient], branch: BranchInfo, day: date, now: datetime, cfg: DayPlan
) -> list[Any]:
    prev = previous_workday(s, branch, day)
    ids = [p.employee_id for p in chunk]
    today, before = day_stats(s, ids, branch, day), day_stats(s, ids, branch, prev)
    return [
        (
            p,
            {
                "text": t(
                    p.locale,
                    "plan.recap",
                    day=day.isoformat(),
                    today=today[p.employee_id],
                    prev=before[p.employee_id],
                )
            },
        )
        for p in chunk
    ]


def _fan(job: str, branch: BranchInfo) -> _Fan | None:
    """What a plan job sends; None for a nudge of a block the branch does not have."""
    if job == "morning_plan":
        return _Fan("morning", _morning)
    if job == "evening_recap":
        return _Fan("recap", _recap, "evening_recap")
    sel = job.removeprefix("plan_nudge_")
    blk = next((b for b in config_for(branch).blocks if b.selector == sel), None)
    return None if blk is None else _Fan(f"nudge_{blk.id}", _nudge(blk.id), "block_nudges")


def build_chunk(s: Session, chunk: chunks.Chunk, branch: BranchInfo, now: datetime) -> int:
    """Build and queue one chunk of a plan job's run (whichever process claimed it): the
    recipients in its id range, as of the run's moment. Returns the rows newly queued."""
    fan = _fan(chunk.job, branch)
    if fan is None:
        return 0
    day = branch.local(chunk.at).date()
    cfg = config_for(branch)
    people = recipients(s, branch, day, lo=chunk.lo, hi=chunk.hi)
    if fan.only is not None:
        wanted = _opted_in(s, [p.employee_id for p in people], fan.only)
        people = [p for p in people if p.employee_id in wanted]
    rows = []
    for i in range(0, len(people), CHUNK):
        part = people[i : i + CHUNK]
        rows += [
            {
                "key": f"plan:{fan.kind}:{p.employee_id}:{day.isoformat()}",
                "kind": f"plan_{fan.kind}"[:32],
                "chat_id": p.chat_id,
                "employee_id": p.employee_id,
                "local_date": day,
                "payload": payload,
            }
            for p, payload in fan.make(s, part, branch, day, chunk.at, cfg)
            if payload is not None
        ]
    return outbox.enqueue_many(s, rows, now=now)


def _fanout(ctx: AppContext, branch: BranchInfo, now: datetime, job: str) -> tuple[int, int]:
    """Split the run into chunks (COACHBOT_FANOUT_CHUNK recipients) and build them with every
    process that helps (bot/jobs/chunks.py). Returns (queued, people)."""
    fan = _fan(job, branch)
    assert fan is not None
    day = branch.local(now).date()
    key = f"{job}:{branch.code}:{day.isoformat()}"

    def split(s: Session) -> int:
        ids = [p.employee_id for p in recipients(s, branch, day)]
        if fan.only is not None:
            wanted = _opted_in(s, ids, fan.only)
            ids = [i for i in ids if i in wanted]
        return chunks.split(s, key, job, branch.id, now, ids, ctx.settings.fanout_chunk)

    ctx.call(split)
    return chunks.run_all(ctx, key)


def morning_plan(ctx: AppContext, branch: BranchInfo, now: datetime) -> str:
    day = branch.local(now).date()
    if skip := _workday_or_skip(ctx, branch, day, "morning_plan"):
        return skip
    queued, n = _fanout(ctx, branch, now, "morning_plan")
    return f"{queued} plans queued for {n} collectors ({n - queued} already queued)"


def block_nudge(ctx: AppContext, branch: BranchInfo, now: datetime, selector: str) -> str:
    day = branch.local(now).date()
    if skip := _workday_or_skip(ctx, branch, day, f"plan_nudge_{selector}"):
        return skip
    blk = next((b for b in config_for(branch).blocks if b.selector == selector), None)
    if blk is None:
        return f"skipped: no {selector} block for {branch.code}"
    queued, n = _fanout(ctx, branch, now, f"plan_nudge_{selector}")
    return f"{queued} {blk.id} nudges queued ({n} opted in)"


def _block_dict(b: Any) -> dict[str, Any]:
    from dataclasses import asdict

    return asdict(b)


def previous_workday(s: Session, branch: BranchInfo, day: date) -> date:
    d = day - timedelta(days=1)
    for _ in range(14):
        if is_workday(s, branch, d):
            return d
        d -= timedelta(days=1)
    return day - timedelta(days=1)


def evening_recap(ctx: AppContext, branch: BranchInfo, now: datetime) -> str:
    day = branch.local(now).date()
    if skip := _workday_or_skip(ctx, branch, day, "evening_recap"):
        return skip
    queued, n = _fanout(ctx, branch, now, "evening_recap")
    return f"{queued} recaps queued ({n} opted in)"


# Job targets for bot.jobs.JOBS ("module:function" with the (ctx, branch, now) signature).
def _nudge_fn(selector: str) -> Any:
    def run(ctx: AppContext, branch: BranchInfo, now: datetime) -> str:
        return block_nudge(ctx, branch, now, selector)

    run.__name__ = f"nudge_{selector}"
    return run


for _sel in SELECTORS:
    globals()[f"nudge_{_sel}"] = _nudge_fn(_sel)
    chunks.BUILDERS[f"plan_nudge_{_sel}"] = build_chunk
chunks.BUILDERS["morning_plan"] = chunks.BUILDERS["evening_recap"] = build_chunk


def cron_at(branch: BranchInfo, what: str) -> dict[str, Any]:
    """CronTrigger fields for a plan job in a branch: `send_at`, `recap_at` or a selector's
    block start."""
    cfg = config_for(branch)
    if what in ("send_at", "recap_at"):
        at = getattr(cfg, what)
    else:
        blk = next((b for b in cfg.blocks if b.selector == what), None)
        if blk is None:  # the branch has no such block: fire at the default's time, do nothing
            blk = next(b for b in get_config().default.blocks if b.selector == what)
        at = blk.start
    return {"hour": at.hour, "minute": at.minute}


def plan_job_specs() -> list[Any]:
    """The plan jobs, for `bot.jobs.JOBS`."""
    from bot.jobs.spec import JobSpec

    specs = [
        JobSpec(
            name="morning_plan",
            description="Daily time-block plan to every working collector",
            cron=lambda b: cron_at(b, "send_at"),
            target="bot.jobs.plans:morning_plan",
        ),
        JobSpec(
            name="evening_recap",
            description="Evening recap (today vs previous working day), for those who opted in",
            cron=lambda b: cron_at(b, "recap_at"),
            target="bot.jobs.plans:evening_recap",
            grace=timedelta(hours=1),
        ),
    ]
    for sel in SELECTORS:
        specs.append(
            JobSpec(
                name=f"plan_nudge_{sel}",
                description=f"Nudge at the start of the {sel} block, for those who opted in",
                cron=lambda b, sel=sel: cron_at(b, sel),
                target=f"bot.jobs.plans:nudge_{sel}",
                # A nudge is only useful near its block's start.
                grace=timedelta(minutes=20),
            )
        )
    return specs
