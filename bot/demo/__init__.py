"""A realistic, deterministic demo organisation with three months of synthetic activity.

People differ on purpose: skill, diligence, a few with falling performance and more leave
lately (attrition risk), a few sloppy ones with compliance findings, one major violation,
new hires, 6–12-month tenures, and some who already left. Feature modules add their own demo
data (training results, drills, …) through DEMO_EXTENSIONS.
"""

from __future__ import annotations

import importlib
import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from bot.context import AppContext
from coaching.privacy import debtor_key
from db.models import (
    Base,
    Branch,
    Call,
    Case,
    Complaint,
    Employee,
    EmployeeRole,
    GroupChat,
    Holiday,
    Leave,
    PromiseToPay,
    QaFinding,
    Repayment,
    Team,
)
from db.models.work import bucket_for

# Modules exposing `extend_demo(ctx: AppContext, world: DemoWorld) -> str`.
# Order matters: training and drills write assessment results that scoring reads; risk
# reads scores and training.
DEMO_EXTENSIONS: list[str] = [
    "bot.demo.training",
    "bot.demo.roleplay",
    "bot.demo.scoring",
    "bot.demo.risk",
]

DEMO_ORG = Path(__file__).with_name("demo_org.yaml")
HR_CHAT_SH = -1001000000001
HR_CHAT_JKT = -1001000000002
TRAINERS_CHAT = -1001000000011

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓"
    "曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
)
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华玉萍红娥玲芬燕彬鹏辉斌宇浩凯"
PRODUCTS = ["信用卡", "消费贷", "现金贷", "车贷"]
REGIONS = ["华东", "华南", "华北", "西南", "华中"]


@dataclass
class Persona:
    """Hidden traits that drive the synthetic activity (not stored)."""

    skill: float  # 0..1: contact and promise conversion, fewer complaints
    diligence: float  # calls per day multiplier
    decline: float  # 0 = stable; > 0 = performance falling month by month
    sloppy: bool  # more compliance findings
    leave_recent: int  # extra leave days in the last 30 days


@dataclass
class DemoWorld:
    """What extensions get: the session, the reference date and who is who."""

    session: Session
    rng: random.Random
    today: date
    now: datetime
    branches: dict[str, Branch] = field(default_factory=dict)
    teams: list[Team] = field(default_factory=list)
    collectors: list[Employee] = field(default_factory=list)
    personas: dict[int, Persona] = field(default_factory=dict)
    trainers: list[Employee] = field(default_factory=list)
    hr: list[Employee] = field(default_factory=list)


def has_data(s: Session) -> bool:
    return bool(s.execute(select(func.count()).select_from(Employee)).scalar_one())


def reset_all(s: Session) -> None:
    for table in reversed(Base.metadata.sorted_tables):
        if table.name != "alembic_version":
            s.execute(delete(table))


def _name(rng: random.Random, used: set[str]) -> str:
    while True:
        n = (
            rng.choice(SURNAMES)
            + rng.choice(GIVEN)
            + (rng.choice(GIVEN) if rng.random() < 0.6 else "")
        )
        if n not in used:
            used.add(n)
            return n


def _workdays(start: date, end: date) -> list[date]:
    days, d = [], start
    while d <= end:
        if d.isoweekday() <= 5:
            days.append(d)
        d += timedelta(days=1)
    return days


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


def _activity(w: DemoWorld, pii_key: str) -> dict[str, int]:
    s, rng = w.session, w.rng
    start = w.today - timedelta(days=91)
    days = _workdays(start, w.today)
    counts = {
        "cases": 0,
        "calls": 0,
        "promises": 0,
        "repayments": 0,
        "complaints": 0,
        "qa findings": 0,
        "leave records": 0,
    }
    case_rows: list[dict[str, Any]] = []
    owner: dict[str, tuple[Employee, Persona]] = {}
    n = 0
    collectors = [c for c in w.collectors]
    tz_of = {b.id: ZoneInfo(b.timezone) for b in w.branches.values()}
    for c in collectors:
        p = w.personas[c.id]
        for _ in range(rng.randint(35, 60)):
            n += 1
            dpd = int(rng.choice([rng.randint(1, 60), rng.randint(30, 150), rng.randint(150, 400)]))
            amount = Decimal(
                rng.choice(
                    [
                        rng.randint(2, 9) * 1000,
                        rng.randint(10, 80) * 1000,
                        rng.randint(80, 200) * 1000,
                    ]
                )
            ) + Decimal(rng.randint(0, 99))
            ref = f"CASE{n:06d}"
            case_rows.append(
                dict(
                    case_ref=ref,
                    collector_id=c.id,
                    debtor_key=debtor_key(pii_key, f"1{rng.randint(3000000000, 8999999999)}"),
                    amount_owed=amount,
                    days_overdue=dpd,
                    bucket=bucket_for(dpd),
                    product=rng.choice(PRODUCTS),
                    is_instalment=rng.random() < 0.15,
                    is_target=rng.random() < 0.12,
                    region=rng.choice(REGIONS),
                    assigned_on=max(c.hire_date, start) + timedelta(days=rng.randint(0, 20)),
                )
            )
            owner[ref] = (c, p)
    s.execute(insert(Case), case_rows)
    counts["cases"] = len(case_rows)
    case_ids = dict(s.execute(select(Case.case_ref, Case.id)).all())
    by_collector: dict[int, list[dict[str, Any]]] = {}
    for row in case_rows:
        row["id"] = case_ids[row["case_ref"]]
        by_collector.setdefault(row["collector_id"], []).append(row)

    calls: list[dict[str, Any]] = []
    ptps: list[dict[str, Any]] = []
    pays: list[dict[str, Any]] = []
    seen_ptp: set[tuple[int, date, date]] = set()
    call_no = pay_no = 0
    for c in collectors:
        p = w.personas[c.id]
        tz = tz_of[c.branch_id]
        cases = by_collector.get(c.id, [])
        end = c.left_on if c.left_on else w.today
        for d in days:
            if d < c.hire_date or d > end:
                continue
            months_ago = (w.today - d).days / 30
            skill = max(0.1, p.skill - p.decline * max(0.0, 3 - months_ago))
            active = [k for k in cases if k["assigned_on"] <= d]
            if not active:
                continue
            for _ in range(int(rng.randint(14, 24) * p.diligence)):
                k = rng.choice(active)
                hour = rng.choices(
                    [9, 10, 11, 13, 14, 15, 16, 17, 18], [3, 3, 3, 2, 3, 3, 3, 2, 1]
                )[0]
                if p.sloppy and rng.random() < 0.02:
                    hour = rng.choice([7, 21, 22])
                local = datetime.combine(d, time(hour, rng.randint(0, 59), rng.randint(0, 59)), tz)
                r = rng.random()
                outcome = (
                    "promise"
                    if r < 0.10 * skill * 2
                    else "rpc"
                    if r < 0.35 * (0.5 + skill)
                    else "contacted"
                    if r < 0.5
                    else "no_answer"
                )
                call_no += 1
                calls.append(
                    dict(
                        call_ref=f"CALL{call_no:08d}",
                        case_id=k["id"],
                        collector_id=c.id,
                        debtor_key=k["debtor_key"],
                        started_at=local.astimezone(UTC),
                        duration_s=0 if outcome == "no_answer" else rng.randint(30, 600),
                        outcome=outcome,
                    )
                )
                if outcome == "promise":
                    due = d + timedelta(days=rng.randint(1, 10))
                    key = (k["id"], d, due)
                    if key in seen_ptp:
                        continue
                    seen_ptp.add(key)
                    amount = (
                        k["amount_owed"] * Decimal(rng.choice(["0.1", "0.2", "0.3", "0.5", "1"]))
                    ).quantize(Decimal("0.01"))
                    # A promise stays open until it is paid or its two-day grace runs out,
                    # so the morning's follow-up block also holds yesterday's unpaid ones.
                    # (Decided from the ids, not rng: the rest of the demo stays the same.)
                    grace = due >= w.today - timedelta(days=2) and (k["id"] + d.day) % 2 == 0
                    status = "open"
                    if due < w.today:
                        settled = "kept" if rng.random() < 0.35 + 0.55 * skill else "broken"
                        status = "open" if grace else settled
                    ptps.append(
                        dict(
                            case_id=k["id"],
                            collector_id=c.id,
                            amount=amount,
                            promised_on=d,
                            due_date=due,
                            status=status,
                        )
                    )
                    if status == "kept":
                        pay_no += 1
                        paid = datetime.combine(due, time(rng.randint(9, 20)), tz)
                        pays.append(
                            dict(
                                ref=f"PAY{pay_no:07d}",
                                case_id=k["id"],
                                collector_id=c.id,
                                amount=amount,
                                paid_at=paid.astimezone(UTC),
                            )
                        )
    s.execute(insert(Call), calls)
    s.execute(insert(PromiseToPay), ptps)
    s.execute(insert(Repayment), pays)
    counts.update(calls=len(calls), promises=len(ptps), repayments=len(pays))

    # Complaints, QA findings and leave.
    comp_no = qa_no = 0
    for c in collectors:
        p = w.personas[c.id]
        tz = tz_of[c.branch_id]
        end = c.left_on or w.today
        for _ in range(
            rng.choices([0, 1, 2, 3, 4], [1 + 6 * p.skill, 3, 2, 1, 1 if p.sloppy else 0.2])[0]
        ):
            comp_no += 1
            d = rng.choice([x for x in days if x <= end] or days)
            s.add(
                Complaint(
                    ref=f"CMP{comp_no:05d}",
                    collector_id=c.id,
                    case_id=None,
                    received_at=datetime.combine(d, time(14), tz).astimezone(UTC),
                    category=rng.choice(["态度", "频繁来电", "第三方骚扰", "其他"]),
                )
            )
        if p.sloppy or rng.random() < 0.2:
            for _ in range(rng.randint(1, 3)):
                qa_no += 1
                d = rng.choice([x for x in days if x <= end] or days)
                s.add(
                    QaFinding(
                        finding_key=f"QA{qa_no:05d}",
                        collector_id=c.id,
                        rule=rng.choice(["script_deviation", "no_agency_name", "rude_language"]),
                        severity="minor",
                        note="质检抽查",
                        source="qa",
                        found_at=datetime.combine(d, time(16), tz).astimezone(UTC),
                    )
                )
        # Baseline leave: a day or two a month; at-risk people take more lately.
        for d in sorted(set(rng.sample(days[:40], rng.randint(0, 2)))):
            s.add(Leave(employee_id=c.id, start_date=d, end_date=d, kind="annual"))
            counts["leave records"] += 1
        if p.leave_recent:
            d = w.today - timedelta(days=rng.randint(p.leave_recent + 2, 25))
            s.add(
                Leave(
                    employee_id=c.id,
                    start_date=d,
                    end_date=d + timedelta(days=p.leave_recent - 1),
                    kind="personal",
                )
            )
            counts["leave records"] += 1
    # One major violation this month: the compliance veto in action.
    vetoed = w.collectors[16]
    qa_no += 1
    s.add(
        QaFinding(
            finding_key=f"QA{qa_no:05d}",
            collector_id=vetoed.id,
            rule="private_collection",
            severity="major",
            note="私下收取债务人款项",
            source="qa",
            found_at=w.now - timedelta(days=min(3, w.today.day - 1)),
        )
    )
    # One collector on leave today.
    off = w.collectors[22]
    s.add(
        Leave(
            employee_id=off.id,
            start_date=w.today,
            end_date=w.today + timedelta(days=2),
            kind="sick",
        )
    )
    counts["leave records"] += 1
    counts.update(complaints=comp_no, **{"qa findings": qa_no})
    s.flush()
    return counts
