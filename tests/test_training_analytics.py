"""Analytics figures: completion per push, pass % per quiz, correct % per question, who is
behind, the one-tap remedial push, the CLI's JSON (same figures) and the chart."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select
from typer.testing import CliRunner

from bot.charts.training import chart as training_chart
from coaching.training import analytics, service
from db.models import TrainingAssignment
from tests.test_training_service import CFG, assignment, content, emp_id, take
from tests.training_seed import import_content, seed_org


def _scenario(ctx, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    seed_org(ctx)
    import_content(ctx, content(tmp_path))
    now = ctx.clock.now()
    with ctx.db.session() as s:
        service.push(s, "exam", "team", "SH-1", now, days=3)  # C0001–C0004
        service.push(s, "easy", "person", "C0101", now, days=3)
        # C0001 passes (q1–q4 right), C0002 fails twice then passes, C0003 fails once,
        # C0004 never starts.
        take(s, assignment(s, "exam", "C0001").id, emp_id(s, "C0001"), [1, 1, 1, 1, 0], now)
        e2, a2 = emp_id(s, "C0002"), assignment(s, "exam", "C0002").id
        take(s, a2, e2, [0, 0, 1, 1, 1], now)
        take(s, a2, e2, [0, 1, 1, 1, 0], now)
        take(s, a2, e2, [1, 1, 1, 1, 1], now)
        take(s, assignment(s, "exam", "C0003").id, emp_id(s, "C0003"), [0, 0, 0, 1, 1], now)


def test_figures(ctx, tmp_path: Path) -> None:
    _scenario(ctx, tmp_path)
    later = ctx.clock.now() + timedelta(days=5)  # past the 3-day deadline
    with ctx.db.session() as s:
        st = analytics.compute(s, later)
    [exam_push] = [p for p in st.pushes if p.target == "team:SH-1"]
    assert (exam_push.assigned, exam_push.completed, exam_push.completion_pct) == (4, 2, 50.0)
    assert exam_push.flagged and exam_push.overdue == 2
    quizzes = {q.slug: q for q in st.quizzes}
    assert (quizzes["exam"].trainees, quizzes["exam"].passed, quizzes["exam"].attempts) == (
        3,
        2,
        5,
    )
    assert quizzes["exam"].pass_pct == 66.7
    qs = {q.qkey: q for q in st.questions if q.slug == "exam"}
    # q1 right in attempts: C0001 yes, C0002 no/no/yes, C0003 no -> 2/5 = 40%.
    assert (qs["q1"].answers, qs["q1"].correct, qs["q1"].correct_pct) == (5, 2, 40.0)
    assert qs["q1"].flagged and qs["q2"].flagged and not qs["q4"].flagged
    assert qs["q5"].correct_pct == 60.0 and qs["q4"].correct_pct == 100.0
    behind = {b.employee_no: b for b in st.behind}
    # C0003, C0004 (exam) and C0101 (easy) are overdue; the remedial quizzes of C0002 and
    # C0003 are due in 7 days, not late yet.
    assert set(behind) == {"C0003", "C0004", "C0101"} and behind["C0004"].overdue == 1
    # Branch scope: JKT sees only its own people.
    with ctx.db.session() as s:
        jkt = analytics.compute(s, later, branch_id=2, branch_label="JKT")
    assert [p.target for p in jkt.pushes] == ["person:C0101"] and jkt.quizzes == []


def test_one_tap_remedial_push_reaches_those_who_got_it_wrong(ctx, tmp_path: Path) -> None:
    _scenario(ctx, tmp_path)
    with ctx.db.session() as s:
        st = analytics.compute(s, ctx.clock.now())
        q1 = next(q for q in st.questions if q.slug == "exam" and q.qkey == "q1")
        title, who = analytics.remedial_for_question(s, q1.question_id, ctx.clock.now(), CFG)
    # Latest answers to q1: C0001 right, C0002 right (third attempt), C0003 wrong; C0003
    # already has the compliance remedial open from failing, so nobody new is assigned…
    assert title == "quiz rem-compliance" and who == []
    with ctx.db.session() as s:
        rows = s.execute(select(TrainingAssignment).where(TrainingAssignment.status == "open"))
        for a in rows.scalars():
            if a.item.slug == "rem-compliance":
                a.status = "passed"
        # …until that one is done; then the tap pushes it to C0003 again.
        _, who = analytics.remedial_for_question(s, q1.question_id, ctx.clock.now(), CFG)
    assert who == ["C0003"]


def test_cli_stats_json_matches_and_chart(ctx, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    _scenario(ctx, tmp_path)
    from bot import cli

    monkeypatch.setenv("DATABASE_URL", ctx.db.url)
    monkeypatch.setattr(cli, "context", lambda: ctx)
    for mod in cli.CLI_MODULES:
        __import__(mod, fromlist=["register"]).register(cli.app)
    res = CliRunner().invoke(cli.app, ["training", "stats", "--format", "json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.output)
    with ctx.db.session() as s:
        st = analytics.compute(s, ctx.clock.now())
    assert data["pushes"] == st.to_dict()["pushes"]
    assert data["questions"] == st.to_dict()["questions"]
    png = training_chart(st, tmp_path / "c.png")
    assert png is not None and png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    res = CliRunner().invoke(cli.app, ["training", "stats", "--format", "xml"])
    assert res.exit_code != 0
