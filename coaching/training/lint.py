"""`coachbot content lint`: checks on what the content teaches, beyond the schema.

- answer keys: in every quiz the correct single-choice answers are spread over the option
  positions (no letter far above its fair share), and answering one letter to everything
  never reaches the pass mark;
- words: titles and summaries of courses, lessons, quizzes and role-play scenarios pass the
  role-play compliance guard (e.g. 老赖 is an insult);
- rules: a daily call limit stated in the text agrees with the configured rule profile (what
  it counts — dial attempts or connected calls — and how many), or uses the placeholders.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from coaching.training.content import LETTERS, Course, Quiz, load_dir
from coaching.training.rules import RuleFacts, misstatements


@dataclass(frozen=True)
class Problem:
    file: str
    line: int | None
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.field}: {self.message}"


def _line(path: Path, needle: str) -> int | None:
    try:
        for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if needle in line:
                return i
    except OSError:
        return None
    return None


def key_balance(quiz: Quiz) -> list[str]:
    """Problems with where the correct single-choice answers sit."""
    singles = [q for q in quiz.questions if not q.is_multiple]
    if len(singles) < 3:
        return []
    counts = Counter(q.correct[0] for q in singles)
    # Fair share of position i: sum over questions that have that many options of 1/k.
    out = []
    for pos in range(max(len(q.options) for q in singles)):
        fair = sum(1 / len(q.options) for q in singles if len(q.options) > pos)
        if counts[pos] > math.ceil(fair) + 1:
            out.append(
                f"{counts[pos]} of {len(singles)} single-choice answers are {LETTERS[pos]} "
                f"(fair share about {fair:.1f}): move correct options to other positions"
            )
    # Same letter to everything: multiple-choice questions never match a single letter.
    if quiz.pass_mark is not None:
        total = len(quiz.questions)
        for pos in range(len(LETTERS)):
            score = 100 * counts[pos] / total
            if counts[pos] and score >= quiz.pass_mark:
                out.append(
                    f"answering {LETTERS[pos]} to every question scores {score:.0f}, "
                    f"at or above the pass mark {quiz.pass_mark}"
                )
    return out


def _guard_hits(text: str) -> list[str]:
    """Rules the role-play guard finds in a text (a neutral call: not a third party, no
    crisis). Rules only: titles and summaries describe calls, and the guard's statistical
    layer is trained on what collectors say, not on descriptions of it (on a crisis
    scenario's summary it read "活不下去了 … 停止施压" as a legal threat)."""
    from coaching.roleplay.guard import check_text

    hits = check_text(text, third_party=False, crisis=False, model=None)
    return sorted({f"{v.rule} ({v.excerpt})" for v in hits})


def lint(content_dir: Path, rules: RuleFacts, scenarios_dir: Path | None = None) -> list[Problem]:
    loaded, errors = load_dir(content_dir)
    out = [Problem(e.file, e.line, e.item or "file", e.reason) for e in errors]
    for one in loaded:
        name = str(one.path.relative_to(content_dir))
        it = one.item
        titles = [("title", it.title)]
        texts: list[tuple[str, str, str]] = []  # field, text, needle for the line
        if isinstance(it, Course):
            for i, lesson in enumerate(it.lessons):
                titles.append((f"lessons[{i}].title", lesson.title))
                texts.append((f"lessons[{i}].text", lesson.text, lesson.text.split("\n")[0]))
        if isinstance(it, Quiz):
            for msg in key_balance(it):
                out.append(Problem(name, _line(one.path, "questions:"), "answer", msg))
            for i, q in enumerate(it.questions):
                label = f"questions[{i}] ({q.id})"
                texts.append((f"{label}.text", q.text, q.text))
                texts.append((f"{label}.explanation", q.explanation, q.explanation))
                for o in q.options:
                    texts.append((f"{label}.options", o, o))
        for fld, title in titles:
            for hit in _guard_hits(title):
                out.append(Problem(name, _line(one.path, title), fld, f"the guard flags {hit}"))
        for fld, text, needle in texts:
            for msg in misstatements(text, rules):
                out.append(Problem(name, _line(one.path, needle), fld, msg))
    if scenarios_dir is not None and scenarios_dir.is_dir():
        from coaching.roleplay.scenarios import ScenarioError, load_file

        for path in sorted(scenarios_dir.glob("*.yaml")):
            try:
                sc = load_file(path)
            except ScenarioError as exc:
                out.append(Problem(path.name, None, "file", str(exc)))
                continue
            for fld, text in (
                ("title", sc.title),
                ("title_en", sc.title_en),
                ("summary", sc.summary),
            ):
                for hit in _guard_hits(text):
                    out.append(
                        Problem(path.name, _line(path, text[:20]), fld, f"the guard flags {hit}")
                    )
    return out
