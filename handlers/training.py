"""Training in chat: /learn (quizzes and courses question by question), /push, /stats, /ask,
trainers' answers (reply to the forwarded question, or /answer)."""

from __future__ import annotations

from telegram import InlineKeyboardMarkup
from telegram.constants import ParseMode

from bot.charts import worker as charts
from bot.charts.worker import Chart
from bot.dashboard.links import with_web_app
from bot.i18n import plain, t
from coaching.training import analytics, questions, service
from coaching.training.service import (
    AnswerError,
    LessonView,
    QuestionView,
    Result,
    StartError,
    TargetError,
)
from handlers.base import ANY_CHAT, Access, Request, button, command, text
from handlers.base import keyboard as kb

LETTERS = service.LETTERS
TRAINERS = frozenset({"trainer", "admin"})
TRAINER = Access(roles=TRAINERS)
TRAINER_ANY = Access(roles=TRAINERS, chats=ANY_CHAT, group_purpose="trainers")
TRAINEE = Access()
DUE_CHOICES = (3, 7, 14, 30)
HIRE_CHOICES = (7, 30, 90)


def _cfg(req: Request) -> service.Config:
    return service.config_from(req.app.settings)


# --- trainee: /learn, quizzes, courses --------------------------------------------------------


@command("learn", access=TRAINEE, help_key="training.help_learn", order=20)
async def learn(req: Request) -> None:
    rows = await req.app.run(
        service.my_assignments, req.me.employee_id, req.app.clock.now(), _cfg(req)
    )
    if not rows:
        await req.say("training.learn_empty")
        return
    markup = kb([[(req.t("training.start_label", a=a)[:60], f"tl:{a.id}")] for a in rows[:10]])
    await req.say("training.learn_list", markup, rows=rows)


def _question_markup(req: Request, v: QuestionView) -> InlineKeyboardMarkup:
    base = f"tq:{v.attempt_id}:{v.index}"
    if v.multiple:
        opts = [
            (("☑ " if i in v.pending else "☐ ") + LETTERS[i], f"{base}:{i}")
            for i in range(len(v.options))
        ]
        return kb([opts, [(req.t("training.submit"), f"{base}:s")]])
    return kb([[(LETTERS[i], f"{base}:{i}") for i in range(len(v.options))]])


async def _show(req: Request, view: QuestionView | LessonView) -> None:
    if isinstance(view, QuestionView):
        await req.say("training.question", _question_markup(req, view), v=view, letters=LETTERS)
        return
    last = view.index + 1 >= view.total
    label = req.t("training.finish_course" if last else "training.next_lesson")
    markup = kb([[(label, f"tc:{view.attempt_id}:{view.index}")]])
    if view.image:
        await req.photo(view.image)
    await req.say("training.lesson", markup, v=view)


@button("tl", access=TRAINEE)
async def start_button(req: Request) -> None:
    if not req.args or not req.args[0].isdigit():
        return
    res = await req.app.run(
        service.start, int(req.args[0]), req.me.employee_id, req.app.clock.now(), _cfg(req)
    )
    if isinstance(res, StartError):
        await req.say(f"training.start_{res.value}")
        return
    await _show(req, res)


@button("tq", access=TRAINEE)
async def answer_button(req: Request) -> None:
    if len(req.args) != 3 or not req.args[0].isdigit() or not req.args[1].isdigit():
        return
    res = await req.app.run(
        service.answer,
        int(req.args[0]),
        req.me.employee_id,
        int(req.args[1]),
        req.args[2],
        req.app.clock.now(),
        _cfg(req),
    )
    if isinstance(res, AnswerError):
        assert req.query is not None
        req._answered = True  # type: ignore[attr-defined]
        await req.query.answer(plain(req.t("training.stale")), show_alert=False)
        return
    if res.toggled is not None:
        v = res.toggled
        await req.edit(req.t("training.question", v=v, letters=LETTERS), _question_markup(req, v))
        return
    if res.feedback is not None:
        await req.edit(req.t("training.feedback", f=res.feedback, letters=LETTERS))
    if res.next is not None:
        await _show(req, res.next)
    if res.result is not None:
        await _result(req, res.result)


async def _result(req: Request, r: Result) -> None:
    markup = None
    if not r.passed and r.assignment_id and r.attempts_used < r.attempts_max:
        markup = kb([[(req.t("training.retake"), f"tl:{r.assignment_id}")]])
    await req.say("training.result", markup, r=r)


@button("tc", access=TRAINEE)
async def lesson_button(req: Request) -> None:
    if len(req.args) != 2 or not all(a.isdigit() for a in req.args):
        return
    res = await req.app.run(
        service.lesson_next,
        int(req.args[0]),
        req.me.employee_id,
        int(req.args[1]),
        req.app.clock.now(),
    )
    if isinstance(res, AnswerError):
        req._answered = True  # type: ignore[attr-defined]
        assert req.query is not None
        await req.query.answer(plain(req.t("training.stale")))
        return
    assert req.query is not None and req.query.message is not None
    await req.context.bot.edit_message_reply_markup(req.chat_id, req.query.message.message_id)
    if isinstance(res, str):
        await req.say("training.course_done", title=res)
        return
    await _show(req, res)


# --- trainer: /push ---------------------------------------------------------------------------


async def _do_push(req: Request, item: str | int, ttype: str, ref: str, days: int) -> str:
    now = req.app.clock.now()
    res = await req.app.run(
        service.push, item, ttype, ref, now, days=days, by_id=req.me.employee_id, cfg=_cfg(req)
    )
    if isinstance(res, TargetError):
        return req.t("training.push_error", code=res.value)
    for chat_id, locale, title, due, mandatory in await req.app.run(
        service.notify_targets, res.push_id
    ):
        await req.context.bot.send_message(
            chat_id,
            t(locale, "training.assigned_notice", title=title, due=due, mandatory=mandatory),
            parse_mode=ParseMode.HTML,
        )
    return req.t("training.pushed", r=res, target=f"{ttype}:{ref}")


@command("push", access=TRAINER, help_key="training.help_push", order=30)
async def push_cmd(req: Request) -> None:
    if len(req.args) >= 3:
        days = int(req.args[3]) if len(req.args) > 3 and req.args[3].isdigit() else None
        await req.reply(
            await _do_push(req, req.args[0], req.args[1], req.args[2], days or _cfg(req).due_days)
        )
        return
    items = await req.app.run(service.item_choices)
    if not items:
        await req.say("training.push_error", code="unknown_item")
        return
    await req.say(
        "training.push_pick_item", kb([[(title[:40], f"tp:i:{i}")] for i, title in items])
    )


@button("tp", access=TRAINER)
async def push_button(req: Request) -> None:
    a = req.args
    if len(a) < 2 or not a[1].isdigit():
        return
    step, item_id = a[0], int(a[1])
    title, teams, branches = await req.app.run(service.picker_data, item_id)
    if step == "i":
        rows = [
            [
                (req.t("training.t_person"), f"tp:t:{item_id}:p"),
                (req.t("training.t_team"), f"tp:t:{item_id}:t"),
            ],
            [
                (req.t("training.t_branch"), f"tp:t:{item_id}:b"),
                (req.t("training.t_new_hires"), f"tp:t:{item_id}:n"),
            ],
        ]
        await req.edit(req.t("training.push_pick_type", title=title), kb(rows))
    elif step == "t" and len(a) == 3:
        kind = a[2]
        if kind in ("p", "t"):
            nxt = "m" if kind == "p" else "d"
            btns = [(code, f"tp:{nxt}:{item_id}:t:{tid}") for tid, code in teams]
        elif kind == "b":
            btns = [(code, f"tp:d:{item_id}:b:{code}") for code in branches]
        else:
            btns = [
                (req.t("training.hires_label", n=n), f"tp:d:{item_id}:n:{n}") for n in HIRE_CHOICES
            ]
        rows = [btns[i : i + 3] for i in range(0, len(btns), 3)]
        await req.edit(req.t("training.push_pick_target", title=title), kb(rows))
    elif step == "m" and len(a) == 4 and a[3].isdigit():
        team_code, members = await req.app.run(service.team_members, int(a[3]))
        btns = [(f"{no} {name}"[:30], f"tp:d:{item_id}:p:{no}") for no, name in members]
        rows = [btns[i : i + 2] for i in range(0, len(btns), 2)]
        await req.edit(req.t("training.push_pick_member", title=title, team=team_code), kb(rows))
    elif step == "d" and len(a) == 4:
        kind, ref = a[2], a[3]
        if kind == "t":
            ref = next((code for tid, code in teams if str(tid) == ref), ref)
        rows = [
            [
                (req.t("training.days_label", n=n), f"tp:x:{item_id}:{kind}:{ref}:{n}")
                for n in DUE_CHOICES
            ]
        ]
        await req.edit(req.t("training.push_pick_due", title=title, target=ref), kb(rows))
    elif step == "x" and len(a) == 5 and a[4].isdigit():
        ttype = {"p": "person", "t": "team", "b": "branch", "n": "new_hires"}.get(a[2], "")
        await req.edit(await _do_push(req, item_id, ttype, a[3], int(a[4])))


# --- trainer: /stats --------------------------------------------------------------------------


STATS_PAGE = 8  # pushes per /stats page (newest first)


def _stats_page(st: analytics.Stats, page: int) -> tuple[list, int, int]:
    """The pushes of page `page` (1 = newest), chronological inside the page."""
    pages = max(1, -(-len(st.pushes) // STATS_PAGE))
    page = min(max(1, page), pages)
    end = len(st.pushes) - STATS_PAGE * (page - 1)
    return st.pushes[max(0, end - STATS_PAGE) : end], page, pages


def _stats_markup(
    req: Request, st: analytics.Stats, page: int, pages: int, scope: str
) -> InlineKeyboardMarkup | None:
    rows = []
    nav = []
    if page < pages:
        nav.append((req.t("training.page_older"), f"tsp:{page + 1}:{scope}"))
    if page > 1:
        nav.append((req.t("training.page_newer"), f"tsp:{page - 1}:{scope}"))
    if nav:
        rows.append(nav)
    rows += [
        [(req.t("training.remedial_button", q=q), f"tr:{q.question_id}")]
        for q in st.flagged_questions[:4]
    ]
    return kb(rows) if rows else None


async def _stats(
    req: Request, all_branches: bool, page: int
) -> tuple[str, analytics.Stats, InlineKeyboardMarkup | None]:
    now = req.app.clock.now()
    branch_id = None if all_branches else req.me.branch_id
    label = "*" if all_branches else req.me.branch_code
    st = await req.app.run(analytics.compute, now, branch_id, label)
    pushes, page, pages = _stats_page(st, page)
    scope = "a" if all_branches else "b"
    text = req.t("training.stats", st=st, pushes=pushes, page=page, pages=pages)
    return text, st, _stats_markup(req, st, page, pages, scope)


@command("stats", access=TRAINER_ANY, help_key="training.help_stats", order=31)
async def stats_cmd(req: Request) -> None:
    all_branches = bool(req.args and req.args[0] == "all")
    text, st, markup = await _stats(req, all_branches, 1)
    chat = req.update.effective_chat
    view = {"all": 1} if all_branches else {}
    markup = with_web_app(
        markup,
        req.app.settings,
        req.locale,
        chat is None or chat.type == "private",
        "training",
        **view,
    )
    await req.reply(text, markup)
    path = req.app.output_dir / f"training-stats-{req.me.employee_id}.png"
    await req.drawing()
    png = await charts.draw(Chart("bot.charts.training:chart", (st,), {"locale": req.locale}), path)
    if png is not None:
        await req.photo(str(png), req.t("training.chart_caption"))


@button("tsp", access=TRAINER_ANY)
async def stats_page(req: Request) -> None:
    # tsp:<page>:<a = all branches | b = own branch>
    if len(req.args) != 2 or not req.args[0].isdigit() or req.args[1] not in ("a", "b"):
        return
    text, _, markup = await _stats(req, req.args[1] == "a", int(req.args[0]))
    await req.edit(text, markup)


@button("tr", access=TRAINER_ANY)
async def remedial_button(req: Request) -> None:
    if not req.args or not req.args[0].isdigit():
        return
    res = await req.app.run(
        analytics.remedial_for_question,
        int(req.args[0]),
        req.app.clock.now(),
        _cfg(req),
        by_id=req.me.employee_id,
        branch_id=req.me.branch_id,
    )
    if res is None:
        await req.say("training.remedial_none")
        return
    await req.say("training.remedial_done", title=res[0], n=len(res[1]))


# --- trainee questions ------------------------------------------------------------------------


@command("ask", access=TRAINEE, help_key="training.help_ask", order=21)
async def ask_cmd(req: Request) -> None:
    msg = req.update.effective_message
    body = (msg.text or "").split(maxsplit=1) if msg else []
    if len(body) < 2 or not body[1].strip():
        await req.say("training.ask_usage")
        return
    asked = await req.app.run(questions.ask, req.me.employee_id, body[1], req.app.clock.now())
    sent = 0
    for r in asked.recipients:
        m = await req.context.bot.send_message(
            r.chat_id,
            t(
                r.locale,
                "training.forward",
                qid=asked.question_id,
                no=asked.employee_no,
                name=asked.name,
                text=asked.text,
            ),
            parse_mode=ParseMode.HTML,
        )
        await req.app.run(questions.record_forward, asked.question_id, r.chat_id, m.message_id)
        sent += 1
    await req.say("training.asked" if sent else "training.asked_nobody", n=sent)


async def _deliver_answer(req: Request, qid: int, body: str) -> None:
    res = await req.app.run(questions.answer, qid, req.me.employee_id, body, req.app.clock.now())
    if res is None:
        await req.say("training.answer_unknown")
        return
    if res.already:
        await req.say("training.answer_already", qid=qid)
        return
    if res.trainee_chat_id is not None:
        await req.context.bot.send_message(
            res.trainee_chat_id,
            t(
                res.trainee_locale,
                "training.answer_to_trainee",
                question=res.question,
                answer=res.answer,
                trainer=res.trainer_name,
            ),
            parse_mode=ParseMode.HTML,
        )
    await req.say("training.answer_sent", qid=qid, hours=res.hours)


@command("answer", access=TRAINER_ANY, help_key="training.help_answer", order=32)
async def answer_cmd(req: Request) -> None:
    msg = req.update.effective_message
    parts = (msg.text or "").split(maxsplit=2) if msg else []
    if len(parts) < 3 or not parts[1].lstrip("#").isdigit():
        await req.say("training.answer_usage")
        return
    await _deliver_answer(req, int(parts[1].lstrip("#")), parts[2])


@text("training_reply", access=TRAINER_ANY, priority=40)
async def trainer_reply(req: Request) -> bool:
    msg = req.update.effective_message
    if msg is None or msg.reply_to_message is None or not msg.text:
        return False
    qid = await req.app.run(questions.find_by_reply, req.chat_id, msg.reply_to_message.message_id)
    if qid is None:
        return False
    await _deliver_answer(req, qid, msg.text)
    return True
