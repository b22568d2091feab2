"""Three months of synthetic work per collector: cases, calls, promises, repayments,
complaints, QA findings and leave, shaped by each persona (skill, diligence, decline)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import insert, select

from bot.demo.world import (
    PRODUCTS,
    REGIONS,
    DemoWorld,
    Persona,
    _workdays,
)
from coaching.privacy import debtor_key
from db.models import (
    Call,
    Case,
    Complaint,
    Employee,
    Leave,
    PromiseToPay,
    QaFinding,
    Repayment,
)
from db.models.work import bucket_for


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
