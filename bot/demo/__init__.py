"""A realistic, deterministic demo organisation with three months of synthetic activity.

People differ on purpose: skill, diligence, a few with falling performance and more leave
lately (attrition risk), a few sloppy ones with compliance findings, one major violation,
new hires, 6–12-month tenures, and some who already left. Feature modules add their own demo
data (training results, drills, …) through DEMO_EXTENSIONS.
"""

from __future__ import annotations

import importlib
import random
from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from bot.context import AppContext
from bot.demo.activity import _activity
from bot.demo.world import (
    DEMO_ORG,
    GIVEN,
    HR_CHAT_JKT,
    HR_CHAT_SH,
    PRODUCTS,
    REGIONS,
    SURNAMES,
    TRAINERS_CHAT,
    DemoWorld,
    Persona,
    _name,
)
from db.models import (
    Base,
    Branch,
    Employee,
    EmployeeRole,
    GroupChat,
    Holiday,
    Team,
)

__all__ = [
    "DEMO_EXTENSIONS",
    "DEMO_ORG",
    "GIVEN",
    "HR_CHAT_JKT",
    "HR_CHAT_SH",
    "PRODUCTS",
    "REGIONS",
    "SURNAMES",
    "TRAINERS_CHAT",
    "DemoWorld",
    "Persona",
    "build_demo",
    "has_data",
    "reset_all",
]

# Modules exposing `extend_demo(ctx: AppContext, world: DemoWorld) -> str`.
# Order matters: training and drills write assessment results that scoring reads; risk
# reads scores and training.
DEMO_EXTENSIONS: list[str] = [
    "bot.demo.training",
    "bot.demo.roleplay",
    "bot.demo.scoring",
    "bot.demo.risk",
]


def has_data(s: Session) -> bool:
    return bool(s.execute(select(func.count()).select_from(Employee)).scalar_one())


def reset_all(s: Session) -> None:
    for table in reversed(Base.metadata.sorted_tables):
        if table.name != "alembic_version":
            s.execute(delete(table))


def build_demo(ctx: AppContext, seed: int = 7) -> str:
    rng = random.Random(seed)
    now = ctx.clock.now()
    with ctx.db.session() as s:
        world = DemoWorld(
            session=s, rng=rng, today=now.astimezone(ZoneInfo("Asia/Shanghai")).date(), now=now
        )
        counts = _org(world)
        counts.update(_activity(world, ctx.settings.pii_hmac_key))
        notes = [f"{k}: {v}" for k, v in counts.items()]
        for mod in DEMO_EXTENSIONS:
            notes.append(importlib.import_module(mod).extend_demo(ctx, world))
    return (
        "demo data created — "
        + ", ".join(notes)
        + (
            "\ntry: coachbot console --as C0001 (collector), L0001 (team lead), T0001 (trainer), "
            "H0001 (HR; add --group hr_alerts), A0001 (admin)"
        )
    )


def _org(w: DemoWorld) -> dict[str, int]:
    from coaching import org, org_apply

    s, rng = w.session, w.rng
    used: set[str] = set()
    # Branches and teams come from an org file, as for a real firm (`coachbot org apply`);
    # the leads are set once they exist (below).
    demo_org = org.load(DEMO_ORG)
    org_apply.apply(s, demo_org, defer_leads=True)
    branches = {b.code: b for b in s.execute(select(Branch)).scalars()}
    sh, jkt = branches["SH"], branches["JKT"]
    w.branches = {"SH": sh, "JKT": jkt}
    year = w.today.year
    for b in (sh, jkt):
        for d, n in [
            (date(year, 1, 1), "元旦"),
            (date(year, 5, 1), "劳动节"),
            (date(year, 10, 1), "国庆节"),
            (date(year, 10, 2), "国庆节"),
            (date(year, 10, 3), "国庆节"),
        ]:
            s.add(Holiday(branch_id=b.id, day=d, name=n))

    def person(
        no: str, b: Branch, roles: list[str], team: Team | None, hired: date, **kw: Any
    ) -> Employee:
        e = Employee(
            employee_no=no,
            name=_name(rng, used),
            branch_id=b.id,
            team_id=team.id if team else None,
            hire_date=hired,
            **kw,
        )
        e.role_rows = [EmployeeRole(role=r) for r in roles]
        s.add(e)
        return e

    teams = {t.code: t for t in s.execute(select(Team)).scalars()}
    lead_no = 1
    for b in (sh, jkt):
        for n in (1, 2, 3):
            t = teams[f"{b.code}-{n}"]
            person(
                f"L{lead_no:04d}",
                b,
                ["team_lead", "collector"],
                t,
                w.today - timedelta(days=rng.randint(700, 1500)),
            )
            s.flush()
            w.teams.append(t)
            lead_no += 1
    org_apply.apply(s, demo_org)  # now the leads are employees
    for i in range(60):
        t = w.teams[i // 10]
        b = sh if t.branch_id == sh.id else jkt
        # Tenure mix: 8 new hires (< 30 days), 12 in the 6–12-month window, the rest longer.
        if i % 10 == 0 or (i % 10 == 5 and i < 30):
            days = rng.randint(5, 28)
        elif i % 10 in (3, 7):
            days = rng.randint(185, 360)
        else:
            days = rng.randint(400, 1800)
        e = person(f"C{i + 1:04d}", b, ["collector"], t, w.today - timedelta(days=days))
        s.flush()
        w.collectors.append(e)
        w.personas[e.id] = Persona(
            skill=min(1.0, max(0.2, rng.gauss(0.62, 0.16))),
            diligence=min(1.4, max(0.6, rng.gauss(1.0, 0.15))),
            decline=0.12 if i % 10 in (4, 8) and i < 50 else 0.0,
            sloppy=i % 13 == 6,
            leave_recent=rng.choice([3, 4, 5]) if i % 10 in (4, 8) else 0,
        )
    # Former collectors who left during the last three months (attrition history).
    for j in range(6):
        t = w.teams[j]
        b = sh if t.branch_id == sh.id else jkt
        left_on = w.today - timedelta(days=rng.randint(10, 85))
        e = person(
            f"C{61 + j:04d}",
            b,
            ["collector"],
            t,
            left_on - timedelta(days=rng.randint(40, 400)),
            status="left",
            left_on=left_on,
        )
        s.flush()
        w.collectors.append(e)
        w.personas[e.id] = Persona(
            skill=rng.uniform(0.3, 0.5), diligence=0.8, decline=0.15, sloppy=False, leave_recent=0
        )
    w.trainers = [
        person("T0001", sh, ["trainer"], None, date(2022, 3, 1)),
        person("T0002", jkt, ["trainer"], None, date(2023, 6, 1)),
    ]
    w.hr = [
        person("H0001", sh, ["hr"], None, date(2021, 9, 1)),
        person("H0002", jkt, ["hr"], None, date(2022, 2, 14)),
    ]
    person("A0001", sh, ["admin", "hr"], None, date(2020, 5, 1))
    s.flush()
    for chat, b, purpose in [
        (HR_CHAT_SH, sh, "hr_alerts"),
        (HR_CHAT_JKT, jkt, "hr_alerts"),
        (TRAINERS_CHAT, None, "trainers"),
    ]:
        s.add(
            GroupChat(
                chat_id=chat,
                purpose=purpose,
                branch_id=b.id if b else None,
                title=f"{purpose} {b.code if b else 'all'}",
                registered_at=w.now,
            )
        )
    s.flush()
    return {"branches": 2, "teams": len(w.teams), "collectors": 60, "former collectors": 6}
