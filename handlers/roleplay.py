"""/roleplay (simulated-debtor drills with a live compliance guard), /end, /coach."""

from __future__ import annotations

import asyncio
import contextlib
import time
import warnings
from typing import Any

from telegram import Message
from telegram.constants import ParseMode
from telegram.error import BadRequest, RetryAfter, TelegramError

from coaching import competency
from coaching import tips as coach
from coaching.llm import LLMUnavailable
from coaching.roleplay import store
from coaching.roleplay.engine import Engine, Snap, get_engine, scenarios
from coaching.roleplay.guard import Violation
from coaching.roleplay.scenarios import Scenario
from db.models.coaching import DrillStatus
from handlers.base import Access, Request, button, command, text
from handlers.base import keyboard as kb

TRAINEES = Access(roles=frozenset({"collector", "team_lead", "trainer"}))
COLLECTORS = Access(roles=frozenset({"collector"}))
EDIT_INTERVAL_S = 1.0  # at most about one edit a second while streaming
TG_LIMIT = 4000
TYPING_EVERY_S = 4.5  # Telegram shows "typing…" for about 5 s per chat action


def _title(req: Request, sc: Scenario) -> str:
    return sc.title if req.locale == "zh_CN" else sc.title_en


@command("roleplay", access=TRAINEES, help_key="roleplay.help_roleplay", order=30)
async def roleplay(req: Request) -> None:
    eng = get_engine(req.app)
    lib = scenarios(req.app)
    if req.args and req.args[0] in lib:
        await _start(req, eng, lib[req.args[0]])
        return
    suggested = await req.app.run(store.suggest, req.me.employee_id, lib)
    weakest = await req.app.run(competency.weakest_one, req.me.employee_id)
    rows = [[("⭐ " + _title(req, suggested), f"rp:{suggested.id}")]]
    rows += [
        [(_title(req, sc), f"rp:{sc.id}")]
        for sc in sorted(lib.values(), key=lambda x: (x.difficulty, x.id))
        if sc.id != suggested.id
    ]
    await req.say(
        "roleplay.pick",
        kb(rows),
        suggested=_title(req, suggested),
        competency=weakest,
        offline=eng.offline,
    )


@button("rp", access=TRAINEES)
async def pick(req: Request) -> None:
    lib = scenarios(req.app)
    sc = lib.get(req.payload)
    if sc is None:
        await req.say("roleplay.unknown_scenario")
        return
    await _start(req, get_engine(req.app), sc)


async def _start(req: Request, eng: Engine, sc: Scenario) -> None:
    drill = await eng.start(req.me.employee_id, sc.id)
    p = sc.persona
    await req.say(
        "roleplay.started",
        title=_title(req, sc),
        summary=sc.summary,
        name=p.pseudonym,
        age=p.age,
        job=p.job,
        amount=p.amount_owed,
        days=p.days_overdue,
        bucket=p.bucket,
        local_time=sc.local_time,
        objectives=sc.objectives,
        turn_limit=drill.turn_limit,
        offline=eng.offline,
    )
    await req.say("roleplay.debtor", name=p.pseudonym, text=sc.script.opening, offline=eng.offline)


def _flags(req: Request, found: list[Violation]) -> str:
    return req.t("roleplay.flag", violations=[v.to_dict() for v in found])


@text("roleplay", access=TRAINEES, priority=10)
async def on_text(req: Request) -> bool:
    msg = req.update.effective_message
    if msg is None or not msg.text:
        return False
    eng = get_engine(req.app)
    async with eng.lock(req.me.employee_id) as got:
        if not got:  # another turn of this trainee is running (in any bot process)
            await req.say("roleplay.busy")
            return True
        taken = await eng.take_line(req.me.employee_id, msg.text)
        if taken is None:
            return False
        if not isinstance(taken, store.Taken):
            await req.say("roleplay.grading_pending", markup=_regrade_kb(req, taken.id))
            return True
        if taken.violations:  # flagged at once, before any LLM call
            await req.reply(req.t("roleplay.flag", violations=taken.violations))
        extra = await eng.llm_check(taken.drill, taken.seq, msg.text, taken.violations)
        if extra:
            await req.reply(_flags(req, extra))
        await _debtor_turn(req, eng, taken.drill, (taken.drill, taken.turns))
    return True


class _Stream:
    """Shows the debtor's reply as it streams: one message, edited at most once a second;
    "typing…" until the first words (a CPU-served model can take a while)."""

    def __init__(self, req: Request, name: str, offline: bool) -> None:
        self.req, self.name, self.offline = req, name, offline
        self.msg: Message | None = None
        self.shown = ""
        self.last = 0.0
        self._typing: asyncio.Task | None = None

    def start_typing(self) -> None:
        chat = self.req.update.effective_chat
        if chat is None:
            return

        async def loop() -> None:
            while self.msg is None:
                with contextlib.suppress(TelegramError):
                    await self.req.context.bot.send_chat_action(chat.id, "typing")
                await asyncio.sleep(TYPING_EVERY_S)

        self._typing = asyncio.create_task(loop())

    def stop_typing(self) -> None:
        if self._typing is not None:
            self._typing.cancel()
            self._typing = None

    def _render(self, body: str) -> str:
        return self.req.t(
            "roleplay.debtor", name=self.name, text=body[:TG_LIMIT], offline=self.offline
        )

    async def push(self, body: str) -> None:
        if not body.strip():
            return
        if self.msg is None:
            self.msg = await self.req.reply(self._render(body + " …"))
            self.shown, self.last = body, time.monotonic()
        elif time.monotonic() - self.last >= EDIT_INTERVAL_S and body != self.shown:
            # Intermediate edits are best effort: a flood limit or a hiccup skips one.
            with contextlib.suppress(TelegramError):
                await self._edit(body + " …")
            self.shown, self.last = body, time.monotonic()

    async def finish(self, body: str) -> None:
        if self.msg is None:
            self.msg = await self.req.reply(self._render(body))
            return
        try:
            await self._edit(body)
        except RetryAfter as exc:  # the final text must arrive: wait once and retry
            with warnings.catch_warnings():  # PTB 22 warns about retry_after's future type
                warnings.simplefilter("ignore")
                wait = _seconds(exc.retry_after)
            await asyncio.sleep(wait)
            await self._edit(body)

    async def _edit(self, body: str) -> None:
        assert self.msg is not None
        with contextlib.suppress(BadRequest):  # "message is not modified" and the like
            await self.req.context.bot.edit_message_text(
                self._render(body),
                chat_id=self.msg.chat_id,
                message_id=self.msg.message_id,
                parse_mode=ParseMode.HTML,
            )


def _seconds(v: Any) -> float:
    return v.total_seconds() if hasattr(v, "total_seconds") else float(v)


async def _debtor_turn(
    req: Request, eng: Engine, drill: store.DrillView, snap: Snap | None = None
) -> None:
    drill_id = drill.id
    sc = eng.scenario(drill.scenario_id)
    stream = _Stream(req, sc.persona.pseudonym, eng.offline)
    if not eng.offline:
        stream.start_typing()
    try:
        out = await eng.reply(drill_id, req.me.employee_id, stream.push, snap)
    finally:
        stream.stop_typing()
    if out.error:
        if stream.msg is not None:  # what was shown is marked as cut: it was not stored
            await stream.finish(req.t("roleplay.cut", text=out.partial or stream.shown))
        await req.say(
            "roleplay.llm_error",
            kb([[(req.t("roleplay.retry_label"), f"rpr:{drill_id}")]]),
            kind=out.error,
        )
        return
    await stream.finish(out.reply)
    if out.ended:
        await req.say("roleplay.ended", outcome=out.ended)
        await _grade(req, eng, drill_id)


def _regrade_kb(req: Request, drill_id: int) -> Any:
    return kb([[(req.t("roleplay.regrade_label"), f"rpg:{drill_id}")]])


async def _grade(req: Request, eng: Engine, drill_id: int) -> None:
    try:
        report = await eng.grade(drill_id, req.me.employee_id, req.locale)
    except LLMUnavailable as exc:
        await req.say("roleplay.grade_error", _regrade_kb(req, drill_id), kind=exc.kind)
        return
    drill = await req.app.run(store.get, drill_id, req.me.employee_id)
    assert drill is not None
    sc = eng.scenario(drill.scenario_id)
    weakest = await req.app.run(competency.weakest_one, req.me.employee_id)
    await req.say(
        "roleplay.report",
        title=_title(req, sc),
        criteria=report.criteria,
        total=report.total,
        passed=report.passed,
        failed_reason=report.failed_reason.split(",") if report.failed_reason else [],
        summary=report.summary,
        graded_by=report.graded_by,
        offline=eng.offline,
        weakest=report.weakest,
        competency=weakest,
    )


async def _own_drill(req: Request) -> store.DrillView | None:
    try:
        drill_id = int(req.payload)
    except ValueError:
        return None
    drill = await req.app.run(store.get, drill_id, req.me.employee_id)
    if drill is None:
        await req.say("roleplay.not_yours")
    return drill


@button("rpr", access=TRAINEES)
async def retry_reply(req: Request) -> None:
    drill = await _own_drill(req)
    if drill is None:
        return
    if drill.status != DrillStatus.ACTIVE or not drill.awaiting_reply:
        await req.say("roleplay.nothing_to_retry")
        return
    eng = get_engine(req.app)
    async with eng.lock(req.me.employee_id) as got:
        if not got:
            await req.say("roleplay.busy")
            return
        await _debtor_turn(req, eng, drill)


@button("rpg", access=TRAINEES)
async def retry_grade(req: Request) -> None:
    drill = await _own_drill(req)
    if drill is None:
        return
    if drill.status != DrillStatus.GRADING:
        await req.say("roleplay.nothing_to_retry")
        return
    await _grade(req, get_engine(req.app), drill.id)


@command("end", access=TRAINEES, help_key="roleplay.help_end", order=31)
async def end(req: Request) -> None:
    drill = await req.app.run(store.current, req.me.employee_id)
    if drill is None:
        await req.say("roleplay.no_active")
        return
    eng = get_engine(req.app)
    if drill.status == DrillStatus.ACTIVE:
        await eng.end(drill.id, req.me.employee_id, "ended")
        await req.say("roleplay.ended", outcome="ended")
    await _grade(req, eng, drill.id)


@command("coach", access=COLLECTORS, help_key="roleplay.help_coach", order=32)
async def coach_cmd(req: Request) -> None:
    eng = get_engine(req.app)
    tips, source = await coach.todays_tips(
        req.app,
        eng.llm,
        req.me.employee_id,
        req.me.timezone,
        req.locale,
        lambda key, **kw: req.t(f"roleplay.{key}", **kw),
    )
    await req.say("roleplay.coach", tips=tips, offline=source != "llm")
