"""Shared set-up for the training tests: two branches in different time zones, small quizzes."""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from coaching.training.content import import_dir
from tests import factories as f

REPO = Path(__file__).resolve().parents[1]
STARTER = REPO / "content" / "training"
TRAINERS_CHAT = -100777


def quiz_yaml(
    slug: str,
    competency: str | None,
    n: int = 5,
    *,
    extra: str = "",
    per_q_comp: list[str] | None = None,
) -> str:
    lines = [f"id: {slug}", "kind: quiz", f"title: quiz {slug}"]
    if competency:
        lines.append(f"competency: {competency}")
    lines += extra.strip().splitlines() if extra else []
    lines.append("questions:")
    for i in range(n):
        lines += [
            f"  - id: q{i + 1}",
            f"    text: question {i + 1}",
            "    options: [right, wrong, other]",
            "    answer: A",
            f"    explanation: because {i + 1}",
        ]
        if per_q_comp:
            lines.append(f"    competency: {per_q_comp[i]}")
    return "\n".join(lines) + "\n"


def write(d: Path, name: str, body: str) -> Path:
    p = d / name
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(textwrap.dedent(body), encoding="utf-8")
    return p


@dataclass
class World:
    sh: int
    jkt: int
    team_sh: str
    team_jkt: str


def seed_org(ctx) -> World:  # type: ignore[no-untyped-def]
    """SH (Shanghai) team SH-1 with C0001–C0003 and trainer T0001; JKT (Jakarta) team JKT-1
    with C0101; a recent hire C0004 in SH; HR H0001; trainers' chat for all branches."""
    now = ctx.clock.now()
    with ctx.db.session() as s:
        sh = f.branch(s, "SH", "Asia/Shanghai")
        jkt = f.branch(s, "JKT", "Asia/Jakarta")
        t1 = f.team(s, sh, "SH-1")
        t2 = f.team(s, jkt, "JKT-1")
        for i, no in enumerate(["C0001", "C0002", "C0003"]):
            e = f.employee(s, no, sh, "collector", team=t1, name=f"催收员{i + 1}")
            f.bind(s, e, 1001 + i, now)
        e = f.employee(s, "C0004", sh, "collector", team=t1, hire_date=date(2026, 2, 20))
        f.bind(s, e, 1004, now)
        e = f.employee(s, "C0101", jkt, "collector", team=t2, name="雅加达员工")
        f.bind(s, e, 1101, now)
        tr = f.employee(s, "T0001", sh, "trainer", name="培训甲")
        f.bind(s, tr, 5001, now)
        h = f.employee(s, "H0001", sh, "hr", name="人事甲")
        f.bind(s, h, 6001, now)
        f.hr_chat(s, -100500, sh, now)
        f.hr_chat(s, TRAINERS_CHAT, None, now, purpose="trainers")
        return World(sh.id, jkt.id, "SH-1", "JKT-1")


def import_content(ctx, directory: Path) -> None:  # type: ignore[no-untyped-def]
    with ctx.db.session() as s:
        rep = import_dir(s, directory, ctx.clock.now())
        assert rep.ok, rep.errors
