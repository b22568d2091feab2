"""Targeting, deadlines across time zones, scoring and pass marks, retake cap, remedial rules,
placement → learning path, and the signals the HR feature reads."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import select

from coaching.training import service, signals
from coaching.training.service import Config, QuestionView, StartError, TargetError
from db.models import AssessmentResult, Employee, TrainingAssignment
from tests.training_seed import import_content, quiz_yaml, seed_org, write

CFG = Config()


def emp_id(s, no: str) -> int:  # type: ignore[no-untyped-def]
    return s.execute(select(Employee.id).where(Employee.employee_no == no)).scalar_one()


def content(tmp_path: Path) -> Path:
    d = tmp_path / "content"
    write(d, "exam.yaml", quiz_yaml("exam", "compliance", 5, extra="mandatory: true"))
    write(d, "easy.yaml", quiz_yaml("easy", "communication", 5, extra="pass_mark: 60"))
    write(
        d,
        "capped.yaml",
        quiz_yaml("capped", "data_handling", 2, extra="max_attempts: 2"),
    )
    for comp in ("compliance", "communication", "resilience", "data_handling", "classification"):
        write(d, f"rem-{comp}.yaml", quiz_yaml(f"rem-{comp}", comp, 3, extra="remedial: true"))
    comps = ["compliance", "communication", "resilience", "data_handling", "classification"] * 2
    write(
        d,
        "placement.yaml",
        quiz_yaml("placement", None, 10, extra="placement: true", per_q_comp=comps),
    )
    write(
        d,
        "course.yaml",
        """
        id: comm-course
        kind: course
        title: talk
        competency: communication
        lessons:
          - {title: one, text: first}
          - {title: two, text: second}
        """,
    )
    return d


def take(s, assignment_id: int, eid: int, pattern: list[bool], now: datetime):  # type: ignore[no-untyped-def]
    """Answer every question: True = the right option (A), False = a wrong one (B)."""
    v = service.start(s, assignment_id, eid, now, CFG)
    assert isinstance(v, QuestionView), v
    out = None
    for i, ok in enumerate(pattern):
        out = service.answer(s, v.attempt_id, eid, i, "0" if ok else "1", now, CFG)
        assert not isinstance(out, service.AnswerError)
        assert out.feedback is not None and out.feedback.is_correct == ok
        assert out.feedback.explanation == f"because {i + 1}"
    assert out is not None and out.result is not None
    return out.result


def assignment(s, slug: str, no: str) -> TrainingAssignment:  # type: ignore[no-untyped-def]
    return (
        s.execute(
            select(TrainingAssignment)
            .join(TrainingAssignment.item)
            .where(TrainingAssignment.employee_id == emp_id(s, no))
            .where(TrainingAssignment.item.has(slug=slug))
            .order_by(TrainingAssignment.id.desc())
        )
        .scalars()
        .first()
    )


def test_targeting_person_team_branch_new_hires(ctx, tmp_path: Path) -> None:
    seed_org(ctx)
    import_content(ctx, content(tmp_path))
    now = ctx.clock.now()
    with ctx.db.session() as s:
        r = service.push(s, "exam", "person", "C0101", now)
        assert r.assigned == ["C0101"]
        r = service.push(s, "exam", "team", "SH-1", now)
        assert r.assigned == ["C0001", "C0002", "C0003", "C0004"]
        # Open assignments are not duplicated by a second push.
        r = service.push(s, "exam", "branch", "SH", now)
        assert r.assigned == [] and len(r.skipped) == 4
        r = service.push(s, "easy", "branch", "JKT", now)
        assert r.assigned == ["C0101"]  # trainers and HR are not trainees
        # New hires: C0004 was hired 2026-02-20, ten days before "now" (2026-03-02).
        r = service.push(s, "easy", "new_hires", "10", now)
        assert r.assigned == ["C0004"]
        r = service.push(s, "capped", "new_hires", "9", now)
        assert r.assigned == []
        r = service.push(s, "capped", "new_hires", "30:JKT", now)
        assert r.assigned == []
        for bad, code in [
            (("nope", "team", "SH-1"), TargetError.UNKNOWN_ITEM),
            (("exam", "team", "XX"), TargetError.UNKNOWN_TEAM),
            (("exam", "person", "Z999"), TargetError.UNKNOWN_PERSON),
            (("exam", "branch", "XX"), TargetError.UNKNOWN_BRANCH),
            (("exam", "new_hires", "abc"), TargetError.BAD_DAYS),
            (("exam", "galaxy", "x"), TargetError.UNKNOWN_TYPE),
        ]:
            assert service.push(s, *bad, now) == code


def test_deadline_is_end_of_day_in_each_trainees_time_zone(ctx, tmp_path: Path) -> None:
    seed_org(ctx)
    import_content(ctx, content(tmp_path))
    # 2026-03-02 16:30 UTC: already Tuesday 00:30 in Shanghai, still Monday 23:30 in Jakarta.
    now = datetime(2026, 3, 2, 16, 30, tzinfo=UTC)
    with ctx.db.session() as s:
        r = service.push(s, "exam", "person", "C0001", now, days=7)
        r2 = service.push(s, "exam", "person", "C0101", now, days=7)
        assert r.due_local == {"C0001": "2026-03-10"}
        assert r2.due_local == {"C0101": "2026-03-09"}
        sh = assignment(s, "exam", "C0001").due_at
        jkt = assignment(s, "exam", "C0101").due_at
        assert sh == datetime(2026, 3, 10, 23, 59, 59, tzinfo=ZoneInfo("Asia/Shanghai"))
        assert jkt == datetime(2026, 3, 9, 23, 59, 59, tzinfo=ZoneInfo("Asia/Jakarta"))
        # An explicit date means that local date in each branch: an hour apart in UTC.
        s1 = service.push(s, "easy", "person", "C0001", now, on=date(2026, 3, 20))
        s2 = service.push(s, "easy", "person", "C0101", now, on=date(2026, 3, 20))
        assert s1.due_local["C0001"] == s2.due_local["C0101"] == "2026-03-20"
        a1, a2 = assignment(s, "easy", "C0001").due_at, assignment(s, "easy", "C0101").due_at
        assert a2 - a1 == timedelta(hours=1)
    # Overdue is judged against that instant: just before and just after Jakarta's midnight.
    with ctx.db.session() as s:
        eid = emp_id(s, "C0101")
        before = datetime(2026, 3, 9, 16, 59, tzinfo=UTC)  # 23:59 Jakarta
        after = datetime(2026, 3, 9, 17, 0, 1, tzinfo=UTC)
        assert signals.overdue_assignments(s, [eid], before) == {eid: 0}
        assert signals.overdue_assignments(s, [eid], after) == {eid: 1}


def test_scoring_pass_marks_and_assessment_rows(ctx, tmp_path: Path) -> None:
    seed_org(ctx)
    import_content(ctx, content(tmp_path))
    now = ctx.clock.now()
    with ctx.db.session() as s:
        service.push(s, "exam", "person", "C0001", now)
        service.push(s, "easy", "person", "C0001", now)
        eid = emp_id(s, "C0001")
        # 4/5 = 80 on the default pass mark of 80: passed (the mark is inclusive).
        r = take(s, assignment(s, "exam", "C0001").id, eid, [True, True, True, True, False], now)
        assert (r.score, r.passed, r.pass_mark, r.correct, r.total) == (80.0, True, 80, 4, 5)
        # 3/5 = 60 passes the per-quiz override of 60.
        r = take(s, assignment(s, "easy", "C0001").id, eid, [True, False, True, False, True], now)
        assert (r.score, r.passed, r.pass_mark) == (60.0, True, 60)
        rows = list(s.execute(select(AssessmentResult).order_by(AssessmentResult.id)).scalars())
        assert [(x.source, x.competency, x.score, x.passed, x.mandatory) for x in rows] == [
            ("quiz", "compliance", 80.0, True, True),
            ("quiz", "communication", 60.0, True, False),
        ]
        assert rows[0].ref.startswith("attempt:") and rows[0].employee_id == eid
        assert assignment(s, "exam", "C0001").status == "passed"


def test_multiple_choice_toggles_and_needs_exact_set(ctx, tmp_path: Path) -> None:
    seed_org(ctx)
    d = tmp_path / "c"
    body = quiz_yaml("mc", "compliance", 1).replace("answer: A", "answer: [A, C]")
    write(d, "mc.yaml", body)
    import_content(ctx, d)
    now = ctx.clock.now()
    with ctx.db.session() as s:
        service.push(s, "mc", "person", "C0001", now)
        eid = emp_id(s, "C0001")
        v = service.start(s, assignment(s, "mc", "C0001").id, eid, now, CFG)
        assert isinstance(v, QuestionView) and v.multiple
        t = service.answer(s, v.attempt_id, eid, 0, "0", now, CFG)
        assert t.toggled is not None and t.toggled.pending == [0]
        t = service.answer(s, v.attempt_id, eid, 0, "s", now, CFG)
        assert t.result is not None and t.result.score == 0.0  # A alone is not A+C
    with ctx.db.session() as s:
        service.push(s, "mc", "person", "C0002", now)
        eid = emp_id(s, "C0002")
        v = service.start(s, assignment(s, "mc", "C0002").id, eid, now, CFG)
        for opt in ("0", "1", "2", "1"):  # tick A, B, C, untick B
            service.answer(s, v.attempt_id, eid, 0, opt, now, CFG)
        t = service.answer(s, v.attempt_id, eid, 0, "s", now, CFG)
        assert t.result is not None and t.result.score == 100.0
        # A stale tap on an answered question is refused, not double-counted.
        assert service.answer(s, v.attempt_id, eid, 0, "0", now, CFG) is service.AnswerError.STALE
        # Someone else's attempt is not theirs.
        other = emp_id(s, "C0001")
        assert service.answer(s, v.attempt_id, other, 0, "0", now, CFG) is (
            service.AnswerError.NOT_YOURS
        )


def test_retake_cap_and_failed_mandatory(ctx, tmp_path: Path) -> None:
    seed_org(ctx)
    import_content(ctx, content(tmp_path))
    now = ctx.clock.now()
    with ctx.db.session() as s:
        service.push(s, "capped", "person", "C0001", now)
        service.push(s, "exam", "person", "C0002", now)
        eid = emp_id(s, "C0001")
        a = assignment(s, "capped", "C0001")
        r1 = take(s, a.id, eid, [False, False], now)
        assert (r1.attempts_used, r1.attempts_max, r1.passed) == (1, 2, False)
        assert a.status == "open"
        r2 = take(s, a.id, eid, [True, False], now)
        assert (r2.attempts_used, r2.passed) == (2, False)
        assert a.status == "failed" and a.best_score == 50.0
        assert service.start(s, a.id, eid, now, CFG) is StartError.CLOSED
        # Mandatory exam, default cap 3: three failures -> failed mandatory, counted as overdue.
        e2 = emp_id(s, "C0002")
        ex = assignment(s, "exam", "C0002")
        for _ in range(3):
            take(s, ex.id, e2, [False] * 5, now)
        assert ex.status == "failed"
        assert signals.overdue_assignments(s, [e2], now + timedelta(seconds=1)) == {e2: 1}


def test_failing_a_competency_assigns_its_remedial_quiz_once(ctx, tmp_path: Path) -> None:
    seed_org(ctx)
    import_content(ctx, content(tmp_path))
    now = ctx.clock.now()
    with ctx.db.session() as s:
        service.push(s, "exam", "person", "C0001", now)
        eid = emp_id(s, "C0001")
        a = assignment(s, "exam", "C0001")
        r = take(s, a.id, eid, [True, True, False, False, True], now)  # 60 < 80
        assert not r.passed and r.remedial == ["quiz rem-compliance"]
        rem = assignment(s, "rem-compliance", "C0001")
        assert rem is not None and rem.status == "open" and rem.push.target_type == "remedial"
        # Failing again does not stack a second open remedial.
        r = take(s, a.id, eid, [False] * 5, now)
        assert r.remedial == []
        # Passing does not assign anything.
        r = take(s, a.id, eid, [True] * 5, now)
        assert r.passed and r.remedial == []


def test_placement_orders_competencies_and_assigns_a_path(ctx, tmp_path: Path) -> None:
    seed_org(ctx)
    import_content(ctx, content(tmp_path))
    now = ctx.clock.now()
    with ctx.db.session() as s:
        service.push(s, "placement", "person", "C0004", now)
        eid = emp_id(s, "C0004")
        # Questions cycle compliance, communication, resilience, data_handling, classification.
        # Right on: compliance 2/2, communication 0/2, resilience 1/2, data 2/2, class 0/2.
        pattern = [True, False, True, True, False, True, False, False, True, False]
        r = take(s, assignment(s, "placement", "C0004").id, eid, pattern, now)
        order = [c for c, _ in r.path]
        assert order == [
            "communication",
            "classification",
            "resilience",
            "compliance",
            "data_handling",
        ]
        # Communication material comes first: its course and its quiz, rank 1, due soonest.
        rows = service.my_assignments(s, eid, now, CFG)
        first = [x.slug for x in rows if x.path_rank == 1]
        assert first == ["comm-course", "easy", "rem-communication"]  # courses first
        ranks = [x.path_rank for x in rows if x.path_rank]
        assert ranks == sorted(ranks)
        dues = {x.path_rank: x.due_local for x in rows if x.path_rank}
        assert dues[1] < dues[2] < dues[5]
        # The signal agrees (ties broken in the fixed competency order).
        assert signals.weakest_competencies(s, eid)[:2] == ["communication", "classification"]
        # The mandatory exam is not part of the path (it is assigned on its own).
        assert "exam" not in {x.slug for x in rows}


def test_course_read_through_completes_assignment(ctx, tmp_path: Path) -> None:
    seed_org(ctx)
    import_content(ctx, content(tmp_path))
    now = ctx.clock.now()
    with ctx.db.session() as s:
        service.push(s, "comm-course", "person", "C0001", now)
        eid = emp_id(s, "C0001")
        a = assignment(s, "comm-course", "C0001")
        v = service.start(s, a.id, eid, now, CFG)
        assert isinstance(v, service.LessonView) and (v.index, v.total, v.text) == (0, 2, "first")
        v2 = service.lesson_next(s, v.attempt_id, eid, 0, now)
        assert isinstance(v2, service.LessonView) and v2.text == "second"
        assert service.lesson_next(s, v.attempt_id, eid, 0, now) is service.AnswerError.STALE
        assert service.lesson_next(s, v.attempt_id, eid, 1, now) == "talk"
        assert a.status == "passed"
        # Courses are not graded: no assessment row.
        assert s.execute(select(AssessmentResult)).first() is None


def test_signals_weakest_uses_assessment_averages(ctx, tmp_path: Path) -> None:
    seed_org(ctx)
    now = ctx.clock.now()
    with ctx.db.session() as s:
        eid = emp_id(s, "C0001")
        for i, (comp, score) in enumerate(
            [("compliance", 90), ("compliance", 70), ("communication", 95), ("resilience", 40)]
        ):
            s.add(
                AssessmentResult(
                    employee_id=eid,
                    source="drill",
                    ref=f"drill:{i}",
                    competency=comp,
                    score=score,
                    passed=score >= 80,
                    at=now,
                )
            )
        s.flush()
        # No evidence for data handling or classification: they count as weakest.
        assert signals.weakest_competencies(s, eid) == [
            "data_handling",
            "classification",
            "resilience",
            "compliance",
            "communication",
        ]
        assert signals.overdue_assignments(s, [], now) == {}


def test_quiz_resumes_where_it_stopped(ctx, tmp_path: Path) -> None:
    seed_org(ctx)
    import_content(ctx, content(tmp_path))
    now = ctx.clock.now()
    with ctx.db.session() as s:
        service.push(s, "exam", "person", "C0001", now)
        eid, aid = emp_id(s, "C0001"), assignment(s, "exam", "C0001").id
        v = service.start(s, aid, eid, now, CFG)
        service.answer(s, v.attempt_id, eid, 0, "0", now, CFG)
        service.answer(s, v.attempt_id, eid, 1, "1", now, CFG)
    # A later session (the bot restarted meanwhile): the same attempt, at question 3.
    with ctx.db.session() as s:
        again = service.start(s, aid, eid, now, CFG)
        assert isinstance(again, QuestionView)
        assert (again.attempt_id, again.index, again.text) == (v.attempt_id, 2, "question 3")
        assert service.start(s, aid, emp_id(s, "C0002"), now, CFG) is StartError.NOT_YOURS
