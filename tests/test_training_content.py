"""Content files: the starter set is valid and complete; bad files are refused precisely;
imports upsert by stable ids without losing or duplicating anything."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from coaching.training.content import ContentError, import_dir, load_dir, load_file
from db.models import QuizQuestion, TrainingItem
from db.models.results import COMPETENCIES
from tests.training_seed import STARTER, quiz_yaml, write


def test_starter_content_is_valid_and_complete() -> None:
    loaded, errors = load_dir(STARTER)
    assert errors == []
    by_id = {x.item.id: x.item for x in loaded}
    exam = by_id["compliance-exam"]
    assert exam.kind == "quiz" and exam.mandatory and exam.competency == "compliance"
    assert len(exam.questions) >= 20
    assert any(q.is_multiple for q in exam.questions)
    course = by_id["compliance-course"]
    assert course.kind == "course" and course.mandatory and len(course.lessons) >= 3
    placement = by_id["placement"]
    assert placement.placement
    assert {q.competency for q in placement.questions} == set(COMPETENCIES)
    remedial = {i.competency: i for i in by_id.values() if i.kind == "quiz" and i.remedial}
    assert set(remedial) == set(COMPETENCIES)
    assert all(len(q.questions) >= 5 for q in remedial.values())
    # Chinese text throughout.
    assert all("\u4e00" <= exam.title[0] <= "\u9fff" for _ in [0])


@pytest.mark.parametrize(
    ("body", "item", "line", "reason"),
    [
        (quiz_yaml("x-quiz", "honesty"), "competency", 4, "unknown competency 'honesty'"),
        (
            quiz_yaml("x-quiz", "compliance").replace("answer: A", "answer: E", 1),
            "questions[0] (q1).answer",
            9,
            "'E' is not one of the options A, B, C",
        ),
        (
            quiz_yaml("x-quiz", "compliance").replace("    explanation: because 2\n", ""),
            "questions[1] (q2).explanation",
            None,
            "missing field",
        ),
        (
            quiz_yaml("x-quiz", "compliance").replace("text: question 3", "txt: question 3"),
            "questions[2] (q3).t",
            16,
            "field",
        ),
        ("id: a\nkind: quiz\ntitle: [unclosed\n", "", 4, "YAML syntax"),
        ("id: x-quiz\nkind: survey\ntitle: t\n", "", None, "kind must be course or quiz"),
    ],
)
def test_bad_file_names_file_item_line_and_reason(
    tmp_path: Path, body: str, item: str, line: int | None, reason: str
) -> None:
    p = write(tmp_path, "quizzes/bad.yaml", body)
    with pytest.raises(ContentError) as ei:
        load_file(p, tmp_path)
    e = ei.value
    assert e.file == "quizzes/bad.yaml"
    assert e.item.startswith(item), (e.item, str(e))
    assert reason in e.reason, str(e)
    if line is not None:
        assert e.line == line, str(e)
    assert "quizzes/bad.yaml" in str(e)


def test_multiple_choice_needs_valid_letters_and_placement_needs_all_competencies(
    tmp_path: Path,
) -> None:
    body = quiz_yaml("pl-quiz", None, 5, extra="placement: true", per_q_comp=["compliance"] * 5)
    with pytest.raises(ContentError, match="placement quiz misses competencies"):
        load_file(write(tmp_path, "p.yaml", body), tmp_path)
    body = quiz_yaml("mc-quiz", "compliance").replace("answer: A", "answer: [A, A]", 1)
    with pytest.raises(ContentError, match="repeated"):
        load_file(write(tmp_path, "m.yaml", body), tmp_path)


def count(s, model) -> int:  # type: ignore[no-untyped-def]
    return s.execute(select(func.count()).select_from(model)).scalar_one()


def test_import_is_all_or_nothing_and_upserts(ctx, tmp_path: Path) -> None:
    now = ctx.clock.now()
    write(tmp_path, "a.yaml", quiz_yaml("quiz-a", "compliance", 5))
    write(tmp_path, "b.yaml", quiz_yaml("quiz-b", "honesty", 5))
    with ctx.db.session() as s:
        rep = import_dir(s, tmp_path, now)
        assert not rep.ok and "b.yaml" in str(rep.errors[0])
        assert count(s, TrainingItem) == 0  # the good file was not half-imported
    write(tmp_path, "b.yaml", quiz_yaml("quiz-b", "resilience", 5))
    with ctx.db.session() as s:
        rep = import_dir(s, tmp_path, now)
        assert rep.ok and sorted(rep.created) == ["quiz-a", "quiz-b"]
    with ctx.db.session() as s:
        rep = import_dir(s, tmp_path, now)
        assert sorted(rep.unchanged) == ["quiz-a", "quiz-b"] and not rep.created
        assert count(s, QuizQuestion) == 10
    # Edit one question's text and drop another: updated in place, dropped one kept inactive.
    body = quiz_yaml("quiz-a", "compliance", 4).replace("question 1", "question one")
    write(tmp_path, "a.yaml", body)
    with ctx.db.session() as s:
        rep = import_dir(s, tmp_path, now)
        assert rep.updated == ["quiz-a"]
        qs = {
            q.qkey: q
            for q in s.execute(
                select(QuizQuestion).join(TrainingItem).where(TrainingItem.slug == "quiz-a")
            ).scalars()
        }
        assert len(qs) == 5 and qs["q1"].text == "question one" and not qs["q5"].active
    # Duplicate ids across files are refused.
    write(tmp_path, "c.yaml", quiz_yaml("quiz-a", "compliance", 5))
    with ctx.db.session() as s:
        rep = import_dir(s, tmp_path, now)
        assert not rep.ok and "already used by a.yaml" in str(rep.errors[0])


def test_starter_imports_into_database(ctx) -> None:
    with ctx.db.session() as s:
        rep = import_dir(s, STARTER, ctx.clock.now())
        assert rep.ok and len(rep.created) >= 8
        assert count(s, QuizQuestion) >= 20 + 5 * 5 + 10


def test_templates_have_the_same_macros_in_both_languages() -> None:
    import re

    from bot.i18n import TEMPLATES_DIR

    def macros(locale: str) -> set[str]:
        text = (TEMPLATES_DIR / locale / "training.j2").read_text(encoding="utf-8")
        return set(re.findall(r"{% macro (\w+)\(", text))

    zh, en = macros("zh_CN"), macros("en")
    assert zh == en and {"question", "feedback", "result", "stats", "forward"} <= zh
