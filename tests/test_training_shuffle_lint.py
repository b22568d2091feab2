"""Training content teaches what the rules check: balanced answer keys in every shipped quiz,
options and questions shuffled per attempt (recorded, so review shows what the trainee saw),
`coachbot content lint`, and the exam stating the configured call rule."""

from __future__ import annotations

import shutil
from collections import Counter
from dataclasses import replace
from pathlib import Path

from sqlalchemy import select
from typer.testing import CliRunner

from coaching.compliance_auto import PROFILES
from coaching.training import service
from coaching.training.content import Quiz, load_dir
from coaching.training.lint import key_balance, lint
from coaching.training.review import review
from coaching.training.rules import DEFAULT, facts
from coaching.training.service import Config, QuestionView
from db.models import QuizAttempt, QuizQuestion
from tests.test_training_service import assignment, emp_id
from tests.training_seed import STARTER, import_content, seed_org

SCENARIOS = Path(__file__).resolve().parent.parent / "content" / "scenarios"
NIFA = facts(PROFILES["cn_nifa"])  # counts connected calls


def test_every_shipped_quiz_has_balanced_answer_keys() -> None:
    loaded, errors = load_dir(STARTER)
    assert not errors
    quizzes = [one.item for one in loaded if isinstance(one.item, Quiz)]
    assert len(quizzes) >= 7
    for quiz in quizzes:
        assert key_balance(quiz) == [], quiz.id
        singles = [q for q in quiz.questions if not q.is_multiple]
        counts = Counter(q.correct[0] for q in singles)
        # No letter answers more than its fair share plus one (the exam had 15 of 17 on B).
        for pos, n in counts.items():
            fair = sum(1 / len(q.options) for q in singles if len(q.options) > pos)
            assert n <= fair + 1.5, (quiz.id, "ABCD"[pos], n, fair)


def test_shipped_content_passes_the_lint_under_every_profile() -> None:
    for profile in PROFILES.values():
        assert lint(STARTER, facts(profile), SCENARIOS) == [], profile.name


def _copy(tmp_path: Path) -> tuple[Path, Path]:
    content, scen = tmp_path / "training", tmp_path / "scenarios"
    shutil.copytree(STARTER, content)
    shutil.copytree(SCENARIOS, scen)
    return content, scen


def test_lint_fails_on_unbalanced_keys_guard_terms_and_a_misstated_rule(tmp_path: Path) -> None:
    content, scen = _copy(tmp_path)
    exam = content / "quizzes" / "compliance-exam.yaml"
    text = exam.read_text(encoding="utf-8")
    # Today's (old) exam: every single-choice answer moved to B, the cap stated as connected.
    import yaml

    data = yaml.safe_load(text)
    for q in data["questions"]:
        if isinstance(q["answer"], str):
            opts = q["options"]
            i = "ABCD".index(q["answer"])
            opts[1], opts[i] = opts[i], opts[1]
            q["answer"] = "B"
    data["questions"][1]["explanation"] = "默认每天最多 3 次接通，分公司可按规则调整。"
    exam.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    pb = scen / "promise_breaker.yaml"
    pb.write_text(
        pb.read_text(encoding="utf-8").replace(
            "title: 屡次失信的债务人", "title: 屡次失信的“老赖”"
        ),
        encoding="utf-8",
    )
    problems = [str(p) for p in lint(content, DEFAULT, scen)]
    assert any("single-choice answers are B" in p for p in problems), problems
    assert any("promise_breaker.yaml" in p and "guard flags" in p for p in problems)
    assert any("counts connected calls" in p and "(c02)" in p for p in problems)
    # The same sentence agrees with a profile that counts connected calls.
    assert not any("(c02)" in str(p) for p in lint(content, NIFA, scen))


def test_exam_states_the_configured_rule(ctx) -> None:  # type: ignore[no-untyped-def]
    seed_org(ctx)
    import_content(ctx, STARTER)  # default profile: every dial attempt counts, 3 a day
    with ctx.db.session() as s:
        c02 = s.execute(select(QuizQuestion).where(QuizQuestion.qkey == "c02")).scalar_one()
        assert "拨打几次" in c02.text and "接通" not in c02.text
        assert c02.options[c02.correct[0]] == "3 次"
        assert "每次拨打都算" in c02.explanation
        assert "{" not in c02.text + "".join(c02.options) + c02.explanation
    from coaching.training.content import import_dir

    with ctx.db.session() as s:
        import_dir(s, STARTER, ctx.clock.now(), rules=replace(NIFA, max_calls=4))
        c02 = s.execute(select(QuizQuestion).where(QuizQuestion.qkey == "c02")).scalar_one()
        assert "接通几次" in c02.text and c02.options[c02.correct[0]] == "4 次"


def test_cli_lint_exit_codes(ctx, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from bot import cli

    monkeypatch.setattr(cli, "context", lambda: ctx)
    for mod in cli.CLI_MODULES:
        __import__(mod, fromlist=["register"]).register(cli.app)
    res = CliRunner().invoke(cli.app, ["content", "lint", str(STARTER)])
    assert res.exit_code == 0, res.output
    assert "dial attempts" in " ".join(res.output.split())
    content, scen = _copy(tmp_path)
    pb = scen / "promise_breaker.yaml"
    pb.write_text(
        pb.read_text(encoding="utf-8").replace("title: 屡次失信的债务人", "title: 老赖专场"),
        encoding="utf-8",
    )
    res = CliRunner().invoke(cli.app, ["content", "lint", str(content), "--scenarios", str(scen)])
    assert res.exit_code != 0 and "guard flags" in res.output


def test_options_and_questions_shuffled_per_attempt_and_review_shows_it(ctx) -> None:  # type: ignore[no-untyped-def]
    seed_org(ctx)
    import_content(ctx, STARTER)
    cfg = Config(shuffle=True, max_attempts=20)
    now = ctx.clock.now()
    with ctx.db.session() as s:
        service.push(s, "compliance-exam", "person", "C0001", now)
        aid, eid = assignment(s, "compliance-exam", "C0001").id, emp_id(s, "C0001")
        seen_orders, first_options = set(), set()
        for _ in range(3):  # the exam allows 3 attempts
            v = service.start(s, aid, eid, now, cfg)
            assert isinstance(v, QuestionView)
            att = s.get(QuizAttempt, v.attempt_id)
            seen_orders.add(tuple(att.question_ids))
            q = s.get(QuizQuestion, att.question_ids[0])
            assert sorted(v.options) == sorted(q.options)
            first_options.add(tuple(v.options))
            # Answer the first question with the option shown at the correct display spot.
            order = service.option_order(att, q)
            right = order.index(q.correct[0]) if not q.multiple else None
            if right is not None:
                out = service.answer(s, att.id, eid, 0, str(right), now, cfg)
                assert out.feedback is not None and out.feedback.is_correct
                assert out.feedback.options == v.options
                assert out.feedback.correct == [right]
                [r] = [x for x in review(s, att.id) if x.answered]
                assert r.options == v.options and r.chosen == [right] and r.is_correct
                assert r.chosen_letters == "ABCDEFGH"[right]
            att.finished_at = now  # close it; the next start opens a fresh attempt
            s.flush()
        # Three attempts of a 20-question exam: the orders differ (20! question orders).
        assert len(seen_orders) == 3


def test_without_shuffle_the_stored_order_is_kept(ctx) -> None:  # type: ignore[no-untyped-def]
    seed_org(ctx)
    import_content(ctx, STARTER)
    now = ctx.clock.now()
    with ctx.db.session() as s:
        service.push(s, "compliance-exam", "person", "C0002", now)
        aid, eid = assignment(s, "compliance-exam", "C0002").id, emp_id(s, "C0002")
        v = service.start(s, aid, eid, now, Config())
        att = s.get(QuizAttempt, v.attempt_id)
        assert att.option_orders is None
        positions = [s.get(QuizQuestion, q).position for q in att.question_ids]
        assert positions == sorted(positions)
