"""Training content as YAML files: validated with pydantic, upserted by stable slugs.

A bad file is refused as a whole with the file, the item (e.g. `questions[3] (q04).answer`),
the line and column in the file, and the reason; nothing from it is stored.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from sqlalchemy import select
from sqlalchemy.orm import Session

from coaching.training.rules import DEFAULT as DEFAULT_RULES
from coaching.training.rules import RuleFacts, fill
from coaching.yamlpos import node_at
from db.models import QuizQuestion, TrainingItem
from db.models.results import COMPETENCIES

LETTERS = "ABCDEFGH"
SLUG = r"^[a-z0-9][a-z0-9_-]{1,63}$"


class ContentError(ValueError):
    """One refused file: where and why."""

    def __init__(self, file: str, item: str, line: int | None, column: int | None, reason: str):
        self.file, self.item, self.line, self.column, self.reason = file, item, line, column, reason
        where = f"{file}:{line}:{column}" if line else file
        super().__init__(f"{where}: {item or '(file)'}: {reason}")


def _competency(v: str) -> str:
    if v not in COMPETENCIES:
        raise ValueError(f"unknown competency {v!r}; use one of {', '.join(COMPETENCIES)}")
    return v


class Link(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: str = Field(min_length=1)
    url: str = Field(pattern=r"^https?://")


class Lesson(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: str = Field(min_length=1, max_length=200)
    text: str = Field(min_length=1, max_length=3500)
    links: list[Link] = []
    image: str | None = None


class Question(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str = Field(pattern=r"^[A-Za-z0-9_-]{1,32}$")
    text: str = Field(min_length=1, max_length=1000)
    options: list[str] = Field(min_length=2, max_length=8)
    # Letters of the correct options: "B" (single choice) or [A, C] (multiple choice).
    answer: str | list[str]
    multiple: bool | None = None
    explanation: str = Field(min_length=1, max_length=1000)
    competency: str | None = None
    difficulty: int = Field(1, ge=1, le=3)

    _c = field_validator("competency")(lambda cls, v: v if v is None else _competency(v))

    @field_validator("options")
    @classmethod
    def _options(cls, v: list[str]) -> list[str]:
        if any(not o.strip() for o in v):
            raise ValueError("empty option")
        if len(set(v)) != len(v):
            raise ValueError("duplicate options")
        if any(len(o) > 100 for o in v):
            raise ValueError("an option is longer than 100 characters")
        return v

    @model_validator(mode="after")
    def _answer(self) -> Question:
        letters = [self.answer] if isinstance(self.answer, str) else list(self.answer)
        if not letters:
            raise ValueError("answer: no correct option given")
        valid = LETTERS[: len(self.options)]
        for x in letters:
            if len(x) != 1 or x.upper() not in valid:
                raise ValueError(f"answer: {x!r} is not one of the options {', '.join(valid)}")
        if len(set(x.upper() for x in letters)) != len(letters):
            raise ValueError("answer: a letter is repeated")
        if self.multiple is False and len(letters) > 1:
            raise ValueError("answer: several letters on a single-choice question")
        return self

    @property
    def correct(self) -> list[int]:
        letters = [self.answer] if isinstance(self.answer, str) else self.answer
        return sorted(LETTERS.index(x.upper()) for x in letters)

    @property
    def is_multiple(self) -> bool:
        return bool(self.multiple) or len(self.correct) > 1


class ItemBase(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str = Field(pattern=SLUG)
    title: str = Field(min_length=1, max_length=200)
    competency: str | None = None
    difficulty: int = Field(1, ge=1, le=3)
    mandatory: bool = False

    _c = field_validator("competency")(lambda cls, v: v if v is None else _competency(v))


class Course(ItemBase):
    kind: Literal["course"]
    lessons: list[Lesson] = Field(min_length=1)

    @model_validator(mode="after")
    def _comp(self) -> Course:
        if self.competency is None:
            raise ValueError("competency: a course needs one of " + ", ".join(COMPETENCIES))
        return self


class Quiz(ItemBase):
    kind: Literal["quiz"]
    placement: bool = False
    remedial: bool = False
    pass_mark: int | None = Field(None, ge=1, le=100)
    max_attempts: int | None = Field(None, ge=1, le=20)
    questions: list[Question] = Field(min_length=1)

    @model_validator(mode="after")
    def _check(self) -> Quiz:
        seen: set[str] = set()
        for i, q in enumerate(self.questions):
            if q.id in seen:
                raise ValueError(f"questions[{i}]: duplicate question id {q.id!r}")
            seen.add(q.id)
            if q.competency is None and self.competency is None:
                raise ValueError(
                    f"questions[{i}] ({q.id}): no competency on the question or the quiz"
                )
        if self.placement:
            covered = {q.competency or self.competency for q in self.questions}
            missing = [c for c in COMPETENCIES if c not in covered]
            if missing:
                raise ValueError("placement quiz misses competencies: " + ", ".join(missing))
        elif self.competency is None:
            raise ValueError("competency: a quiz needs one (only a placement quiz spans several)")
        return self


class Document(BaseModel):
    item: Course | Quiz = Field(discriminator="kind")


@dataclass
class Loaded:
    path: Path
    item: Course | Quiz


def _item_label(data: Any, loc: tuple[Any, ...]) -> str:
    out, cur = [], data
    for part in loc:
        if isinstance(part, int):
            out[-1:] = [f"{out[-1] if out else ''}[{part}]"]
            cur = cur[part] if isinstance(cur, list) and part < len(cur) else None
            if isinstance(cur, dict) and "id" in cur:
                out[-1] += f" ({cur['id']})"
        else:
            out.append(str(part))
            cur = cur.get(part) if isinstance(cur, dict) else None
    return ".".join(out)


def load_file(path: Path, root: Path | None = None) -> Loaded:
    name = str(path.relative_to(root)) if root else str(path)
    try:
        raw = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ContentError(name, "", None, None, f"not UTF-8 ({exc.reason})") from None
    try:
        node = yaml.compose(raw)
        data = yaml.safe_load(raw)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        raise ContentError(
            name,
            "",
            mark.line + 1 if mark else None,
            mark.column + 1 if mark else None,
            f"YAML syntax: {exc.problem}",
        ) from None
    if not isinstance(data, dict):
        raise ContentError(name, "", 1, 1, "expected a mapping with id, kind, title, …")
    try:
        item = Document.model_validate({"item": data}).item
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = tuple(err["loc"])[1:]
        # Drop the discriminator tag pydantic inserts ("quiz"/"course") after "item".
        if loc and loc[0] in ("quiz", "course"):
            loc = loc[1:]
        reason = err["msg"].removeprefix("Value error, ")
        # A model-level check naming its field ("answer: …") points at that field.
        head, sep, rest = reason.partition(": ")
        if sep and head.isidentifier() and isinstance(node_at(node, loc), yaml.MappingNode):
            loc, reason = (*loc, head), rest
        target = node_at(node, loc)
        mark = target.start_mark if target is not None else None
        if err["type"] == "extra_forbidden":
            reason = "unknown field"
        elif err["type"] == "missing":
            reason = "missing field"
        elif err["type"] == "union_tag_invalid":
            reason = "kind must be course or quiz"
        elif err["type"] == "union_tag_not_found":
            reason = "missing field kind (course or quiz)"
        raise ContentError(
            name,
            _item_label(data, loc),
            mark.line + 1 if mark else None,
            mark.column + 1 if mark else None,
            reason,
        ) from None
    if isinstance(item, Course):
        for i, lesson in enumerate(item.lessons):
            if lesson.image and not (path.parent / lesson.image).is_file():
                target = node_at(node, ("lessons", i, "image"))
                raise ContentError(
                    name,
                    f"lessons[{i}].image",
                    target.start_mark.line + 1 if target else None,
                    target.start_mark.column + 1 if target else None,
                    f"image file {lesson.image} not found",
                )
    return Loaded(path, item)


@dataclass
class ImportReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    errors: list[ContentError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def load_dir(directory: Path) -> tuple[list[Loaded], list[ContentError]]:
    files = sorted(p for p in directory.rglob("*") if p.suffix in (".yaml", ".yml"))
    loaded, errors = [], []
    seen: dict[str, Path] = {}
    for p in files:
        try:
            one = load_file(p, directory)
        except ContentError as exc:
            errors.append(exc)
            continue
        if one.item.id in seen:
            errors.append(
                ContentError(
                    str(p.relative_to(directory)),
                    "id",
                    None,
                    None,
                    f"id {one.item.id!r} already used by "
                    f"{seen[one.item.id].relative_to(directory)}",
                )
            )
            continue
        seen[one.item.id] = p
        loaded.append(one)
    return loaded, errors


def _item_values(one: Loaded, root: Path, rules: RuleFacts = DEFAULT_RULES) -> dict[str, Any]:
    it = one.item
    base = {
        "kind": it.kind,
        "title": it.title,
        "competency": it.competency or "",
        "difficulty": it.difficulty,
        "mandatory": it.mandatory,
        "source_file": str(one.path.relative_to(root)),
        "active": True,
    }
    if isinstance(it, Course):
        lessons = []
        for lesson in it.lessons:
            d = lesson.model_dump()
            d["text"] = fill(d["text"], rules)
            if lesson.image:
                d["image"] = str((one.path.parent / lesson.image).resolve())
            lessons.append(d)
        base.update(
            lessons=lessons, placement=False, remedial=False, pass_mark=None, max_attempts=None
        )
    else:
        base.update(
            lessons=[],
            placement=it.placement,
            remedial=it.remedial,
            pass_mark=it.pass_mark,
            max_attempts=it.max_attempts,
        )
    return base


def _question_values(
    q: Question, pos: int, quiz: Quiz, rules: RuleFacts = DEFAULT_RULES
) -> dict[str, Any]:
    return {
        "position": pos,
        "text": fill(q.text, rules),
        "options": [fill(o, rules) for o in q.options],
        "correct": q.correct,
        "multiple": q.is_multiple,
        "explanation": fill(q.explanation, rules),
        "competency": q.competency or quiz.competency or "",
        "difficulty": q.difficulty,
        "active": True,
    }


def import_dir(
    s: Session,
    directory: Path,
    now: datetime,
    *,
    dry_run: bool = False,
    rules: RuleFacts = DEFAULT_RULES,
) -> ImportReport:
    """Validate every file, then upsert all of them (or none when any file is bad). Rule
    placeholders ({max_calls}, {counted}, …) are filled from `rules`."""
    rep = ImportReport()
    if not directory.is_dir():
        rep.errors.append(ContentError(str(directory), "", None, None, "not a directory"))
        return rep
    loaded, rep.errors = load_dir(directory)
    if rep.errors or dry_run:
        return rep
    for one in loaded:
        values = _item_values(one, directory, rules)
        row = s.execute(
            select(TrainingItem).where(TrainingItem.slug == one.item.id)
        ).scalar_one_or_none()
        changed = False
        if row is None:
            row = TrainingItem(slug=one.item.id, updated_at=now, **values)
            s.add(row)
            s.flush()
            rep.created.append(one.item.id)
            changed = True
        else:
            for k, v in values.items():
                if getattr(row, k) != v:
                    setattr(row, k, v)
                    changed = True
        if isinstance(one.item, Quiz):
            existing = {
                q.qkey: q
                for q in s.execute(
                    select(QuizQuestion).where(QuizQuestion.item_id == row.id)
                ).scalars()
            }
            keys = set()
            for pos, q in enumerate(one.item.questions):
                keys.add(q.id)
                qv = _question_values(q, pos, one.item, rules)
                qrow = existing.get(q.id)
                if qrow is None:
                    s.add(QuizQuestion(item_id=row.id, qkey=q.id, **qv))
                    changed = True
                else:
                    for k, v in qv.items():
                        if getattr(qrow, k) != v:
                            setattr(qrow, k, v)
                            changed = True
            for key, qrow in existing.items():
                if key not in keys and qrow.active:
                    qrow.active = False  # answers to it stay; it is no longer asked
                    changed = True
        if changed:
            row.updated_at = now
            if one.item.id not in rep.created:
                rep.updated.append(one.item.id)
        else:
            rep.unchanged.append(one.item.id)
    s.flush()
    return rep
