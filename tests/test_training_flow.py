"""End to end through the real Application and the local Bot API: a trainer pushes the
compliance exam to a team, collectors take it question by question, the trainer's /stats shows
the figures; /ask and the 24-hour clock moved with the frozen clock; access rules."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot import outbox
from bot.jobs import get_job, run_job
from bot.transport.localapi import buttons
from coaching.calendar import all_branches
from coaching.training import signals
from coaching.training.service import option_order
from db.models import (
    AssessmentResult,
    Employee,
    QuizAttempt,
    QuizQuestion,
    TraineeQuestion,
    TrainingAssignment,
)
from tests.conftest import Harness
from tests.training_seed import STARTER, TRAINERS_CHAT, import_content, seed_org

TRAINER = 5001
HR = 6001


async def _tap(h: Harness, user: int, label: str) -> None:
    """Press the button `label` on the newest message in `user`'s chat that has it."""
    for msg in reversed(h.api.sent(user)):
        if any(lbl == label for lbl, _ in buttons(msg)):
            await h.chat.tap(user, msg, label)
            return
    raise AssertionError(f"no button {label!r} in chat {user}")


def _correct_letters(ctx, user: int) -> list[str]:  # type: ignore[no-untyped-def]
    """The right answer to the question this user's open attempt is on (read from the DB)."""
    with ctx.db.session() as s:
        att = s.execute(
            select(QuizAttempt)
            .join(Employee, Employee.id == QuizAttempt.employee_id)
            .where(QuizAttempt.finished_at.is_(None))
            .where(Employee.employee_no == f"C{user - 1000:04d}")
        ).scalar_one()
        q = s.get(QuizQuestion, att.question_ids[att.position])
        # Options are shuffled per attempt: the letters as this attempt shows them.
        order = option_order(att, q)
        return sorted("ABCDEFGH"[order.index(i)] for i in q.correct)


async def _take_exam(ctx, h: Harness, user: int, right: int) -> str:  # type: ignore[no-untyped-def]
    """Answer the first `right` questions correctly and the rest wrongly; return the result."""
    [listing] = await h.chat.send(user, "/learn")
    assert "合规必修考试" in listing.text and "必修" in listing.text
    await h.chat.tap(user, listing, "▶ 合规必修考试")
    for i in range(20):
        q = h.api.last(user)
        assert f"第 {i + 1}/20 题" in q.text
        good = _correct_letters(ctx, user)
        labels = [lbl for lbl, _ in buttons(q)]
        multiple = "✅ 提交" in labels
        picks = good if i < right else [next(x for x in "ABCD" if x not in good)]
        for letter in picks:
            await h.chat.tap(user, h.api.last(user), f"☐ {letter}" if multiple else letter)
        if multiple:
            await h.chat.tap(user, h.api.last(user), "✅ 提交")
        # The question message now shows the verdict and the explanation.
        fb = h.api.sent(user)[-2]  # followed by the next question or the result
        assert ("✅ 回答正确" if i < right else "❌ 回答错误") in fb.text, fb.text
        assert "💡" in fb.text and buttons(fb) == []
    return h.api.last(user).text


async def test_trainer_pushes_team_takes_exam_and_stats_show_it(ctx, harness: Harness) -> None:
    seed_org(ctx)
    import_content(ctx, STARTER)
    h = harness
    # Trainer: /push → exam → team → SH-1 → 7 days.
    [picker] = await h.chat.send(TRAINER, "/push")
    assert "1/4" in picker.text
    await h.chat.tap(TRAINER, picker, "合规必修考试")
    await h.chat.tap(TRAINER, h.api.last(TRAINER), "👥 小组")
    await h.chat.tap(TRAINER, h.api.last(TRAINER), "SH-1")
    assert "4/4" in h.api.last(TRAINER).text
    await h.chat.tap(TRAINER, h.api.last(TRAINER), "7 天")
    done = h.api.last(TRAINER).text
    assert "已推送《合规必修考试》给小组 SH-1：4 人" in done and "2026-03-09" in done
    # Each collector of the team got a notice; the JKT collector did not.
    for user in (1001, 1002, 1003, 1004):
        assert "新培训任务" in h.api.last(user).text
    assert h.api.sent(1101) == []
    # One passes with 18/20, one fails with 10/20 (and is offered a retake).
    passed = await _take_exam(ctx, h, 1001, 18)
    assert "90" in passed and "🎉 通过" in passed
    failed = await _take_exam(ctx, h, 1002, 10)
    assert "50" in failed and "❌ 未通过" in failed and "还可以再考 2 次" in failed
    assert "合规补救练习" in failed  # failing compliance questions assigned the remedial quiz
    assert [lbl for lbl, _ in buttons(h.api.last(1002))] == ["🔁 再考一次"]
    with ctx.db.session() as s:
        rows = list(s.execute(select(AssessmentResult).order_by(AssessmentResult.id)).scalars())
        assert [(r.competency, r.score, r.passed, r.mandatory) for r in rows] == [
            ("compliance", 90.0, True, True),
            ("compliance", 50.0, False, True),
        ]
    # Trainer's /stats: completion 1/4, pass 1/2, per-question figures, remedial buttons.
    replies = await h.chat.send(TRAINER, "/stats")
    text = replies[0].text
    # Sent minutes ago: not late, not red, and the target in words.
    assert "⏳ #1 合规必修考试 → 小组 SH-1：1/4 = 25%，未到截止时间" in text
    assert "🔴 #1" not in text
    assert "合规必修考试：1/2 人通过 = 50%" in text
    assert "正确率低于 70% 的题目" in text and "🔴 合规必修考试 第 " in text
    assert "1/2 = 50%" in text  # a question one of the two got wrong
    assert any(lbl.startswith("📌 推送补救") for lbl, _ in buttons(replies[0]))
    assert [m.kind for m in replies[1:]] == ["photo"]
    await _tap(h, TRAINER, next(lbl for lbl, _ in buttons(replies[0])))
    assert "已把《合规补救练习》推送给" in h.api.last(TRAINER).text


async def test_ask_reminder_after_24_simulated_hours_then_reply(
    ctx, harness: Harness, clock
) -> None:  # type: ignore[no-untyped-def]
    seed_org(ctx)
    h = harness
    [ack] = await h.chat.send(1003, "/ask 债务人说下个月才能还，电话 138 0013 8000，怎么约定？")
    assert "已转给 1 位培训主管" in ack.text
    fwd = h.api.last(TRAINER)
    assert "学员提问 #1" in fwd.text and "C0003" in fwd.text
    assert "13800138000" not in fwd.text and "138 0013 8000" not in fwd.text  # redacted

    async def clock_job() -> list[str]:
        spec = get_job("training_questions")
        for b in ctx.call(all_branches):
            run_job(ctx, spec, b, force=True)
        await outbox.deliver_due(h.chat.app.bot, ctx, pacer=outbox.Pacer(1000.0, 0.0))
        return [m.text for m in h.api.sent(TRAINERS_CHAT)] + [
            m.text for m in h.api.sent(TRAINER) if "⏰" in m.text
        ]

    clock.advance(timedelta(hours=23, minutes=59))
    assert await clock_job() == []
    with ctx.db.session() as s:
        eid = s.execute(select(Employee.id).where(Employee.employee_no == "C0003")).scalar_one()
        assert signals.unanswered_questions(s, [eid], clock.now()) == {eid: 0}
    clock.advance(timedelta(minutes=2))
    sent = await clock_job()
    assert len(sent) == 2 and all("已 24 小时未答复" in x for x in sent)  # trainer + chat
    assert await clock_job() == sent  # re-running never sends twice
    with ctx.db.session() as s:
        q = s.execute(select(TraineeQuestion)).scalar_one()
        assert q.overdue_flagged_at == clock.now()
        assert signals.unanswered_questions(s, [eid], clock.now()) == {eid: 1}
    # The trainer answers by replying to the reminder in the trainers' chat.
    reminder = h.api.sent(TRAINERS_CHAT)[-1]
    [ok] = await h.chat.send(TRAINER, "可以，约定具体日期和金额即可。", TRAINERS_CHAT, reminder)
    assert "已把答复发给学员" in ok.text
    got = h.api.last(1003).text
    assert "培训甲" in got and "约定具体日期和金额" in got
    with ctx.db.session() as s:
        assert signals.unanswered_questions(s, [eid], clock.now()) == {eid: 0}
        # As of the moment before the answer it still counted (history stays true).
        assert signals.unanswered_questions(s, [eid], clock.now() - timedelta(seconds=1)) == {
            eid: 1
        }
    # A second answer is refused politely; replying to the original forward works the same.
    [again] = await h.chat.send(TRAINER, "再补充一点", reply_to=fwd)
    assert "已经有人答复过了" in again.text


async def test_access_rules(ctx, harness: Harness) -> None:
    seed_org(ctx)
    import_content(ctx, STARTER)
    h = harness
    for cmd in ("/push", "/stats", "/answer 1 hi"):
        [r] = await h.chat.send(1001, cmd)
        assert "🔒" in r.text, cmd
    # /stats is not allowed in an unregistered group or the HR chat, even for a trainer.
    [r] = await h.chat.send(TRAINER, "/stats", chat_id=-100500)
    assert "🔒" in r.text
    # A trainer can't use HR-only commands.
    [r] = await h.chat.send(TRAINER, "/invite C0001", chat_id=-100500)
    assert "🔒" in r.text
    # /help lists training commands by role.
    [help_c] = await h.chat.send(1001, "/help")
    assert "/learn" in help_c.text and "/ask" in help_c.text and "/push" not in help_c.text
    [help_t] = await h.chat.send(TRAINER, "/help")
    assert "/push" in help_t.text and "/stats" in help_t.text
    # A collector can't start someone else's assignment by forging the button.
    await h.chat.send(TRAINER, "/push compliance-exam person C0002 7")
    [listing] = await h.chat.send(1002, "/learn")
    data = buttons(listing)[0][1]
    before = len(h.api.sent(1001))
    await h.chat.feed(h.chat.updates.callback(1001, h.api.last(1001), data))
    assert len(h.api.sent(1001)) == before + 1 and "不是您的任务" in h.api.last(1001).text
    # HR (not a trainer) can't push either.
    [r] = await h.chat.send(HR, "/push")
    assert "🔒" in r.text


async def test_course_in_chat_and_overdue_reminders_job(ctx, harness: Harness, clock) -> None:  # type: ignore[no-untyped-def]
    seed_org(ctx)
    import_content(ctx, STARTER)
    h = harness
    [r] = await h.chat.send(TRAINER, "/push compliance-course person C0001 1")
    assert "1 人" in r.text
    [listing] = await h.chat.send(1001, "/learn")
    await h.chat.tap(1001, listing, "▶ 合规必修课：催收行为红线")
    for _ in range(3):
        assert "下一课" in buttons(h.api.last(1001))[0][0]
        await h.chat.tap(1001, h.api.last(1001), "下一课 ▶")
    await h.chat.tap(1001, h.api.last(1001), "✅ 学完了")
    assert "课程《合规必修课：催收行为红线》已完成" in h.api.last(1001).text
    # C0002 gets the course due tomorrow and ignores it; two days later the job reminds them.
    await h.chat.send(TRAINER, "/push compliance-course person C0002 1")
    # C0003 failed the mandatory exam with no retakes left: listed to trainers, not reminded.
    from coaching.training import service

    with ctx.db.session() as s:
        service.push(s, "compliance-exam", "person", "C0003", clock.now(), days=30)
        for a in s.execute(select(TrainingAssignment)).scalars():
            if a.item.slug == "compliance-exam":
                a.status = "failed"
    clock.advance(timedelta(days=2, hours=1))
    spec = get_job("training_reminders")
    for b in ctx.call(all_branches):
        run_job(ctx, spec, b, force=True)
        run_job(ctx, spec, b, force=True)  # idempotent
    await outbox.deliver_due(h.chat.app.bot, ctx, pacer=outbox.Pacer(1000.0, 0.0))
    reminders = [m.text for m in h.api.sent(1002) if "逾期" in m.text]
    assert len(reminders) == 1 and "合规必修课" in reminders[0]
    assert not [m for m in h.api.sent(1001) if "逾期" in m.text]
    listing = [m.text for m in h.api.sent(TRAINERS_CHAT) if "逾期培训任务" in m.text]
    assert len(listing) == 1 and "C0002" in listing[0]
    assert "C0003" in listing[0] and "必修未通过" in listing[0]
    assert not [m for m in h.api.sent(1003) if "逾期" in m.text]
    # Onboarding: the recent hire C0004 got the mandatory items and the placement quiz.
    assert any("新员工入职测评" in m.text for m in h.api.sent(1004))
    assert not any("新员工入职测评" in m.text for m in h.api.sent(1003))


async def test_weekly_digest_to_trainers_chat(ctx, harness: Harness, clock) -> None:  # type: ignore[no-untyped-def]
    seed_org(ctx)
    import_content(ctx, STARTER)
    h = harness
    spec = get_job("training_digest")
    sh = next(b for b in ctx.call(all_branches) if b.code == "SH")
    assert run_job(ctx, spec, sh, force=True) == "0 digests queued"  # nothing to report yet
    await h.chat.send(TRAINER, "/push compliance-exam team SH-1 7")
    await _take_exam(ctx, h, 1001, 20)
    for _ in range(2):  # a re-run in the same week never sends twice
        run_job(ctx, spec, sh, force=True)
        await outbox.deliver_due(h.chat.app.bot, ctx, pacer=outbox.Pacer(1000.0, 0.0))
    msgs = h.api.sent(TRAINERS_CHAT)
    assert [m.kind for m in msgs] == ["text", "photo"]
    assert "培训统计" in msgs[0].text and "小组 SH-1：1/4 = 25%" in msgs[0].text
    assert "合规必修考试：1/1 人通过 = 100%" in msgs[0].text
    # Next week: a new digest.
    clock.advance(timedelta(days=7))
    run_job(ctx, spec, sh, force=True)
    await outbox.deliver_due(h.chat.app.bot, ctx, pacer=outbox.Pacer(1000.0, 0.0))
    assert len(h.api.sent(TRAINERS_CHAT)) == 4


async def test_push_to_one_person_with_pickers(ctx, harness: Harness) -> None:
    seed_org(ctx)
    import_content(ctx, STARTER)
    h = harness
    [picker] = await h.chat.send(TRAINER, "/push")
    await h.chat.tap(TRAINER, picker, "新员工入职测评")
    await h.chat.tap(TRAINER, h.api.last(TRAINER), "👤 个人")
    await h.chat.tap(TRAINER, h.api.last(TRAINER), "SH-1")
    assert "选择 SH-1 的成员" in h.api.last(TRAINER).text
    await h.chat.tap(TRAINER, h.api.last(TRAINER), "C0002 催收员2")
    await h.chat.tap(TRAINER, h.api.last(TRAINER), "3 天")
    assert "给个人 C0002：1 人" in h.api.last(TRAINER).text
    assert "2026-03-05" in h.api.last(1002).text and h.api.sent(1001) == []


def test_hourly_job_is_claimed_once_per_local_hour(ctx, clock) -> None:  # type: ignore[no-untyped-def]
    seed_org(ctx)
    spec = get_job("training_questions")
    sh = next(b for b in ctx.call(all_branches) if b.code == "SH")
    assert run_job(ctx, spec, sh) is not None
    clock.advance(timedelta(minutes=30))
    assert run_job(ctx, spec, sh) is None  # same local hour
    clock.advance(timedelta(minutes=31))
    assert run_job(ctx, spec, sh) is not None  # next hour
    # Daily jobs keep their once-a-day claim.
    daily = get_job("training_reminders")
    assert run_job(ctx, daily, sh) is not None
    clock.advance(timedelta(hours=2))
    assert run_job(ctx, daily, sh) is None
