"""`coachbot plan` (print the plan that would be sent) and `coachbot holidays import`."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo

import typer


def register(app: typer.Typer) -> None:
    holidays_app = typer.Typer(
        help="Branch holidays and make-up working days.", no_args_is_help=True
    )
    app.add_typer(holidays_app, name="holidays")

    @app.command("plan")
    def plan_cmd(
        employee: Annotated[str, typer.Option("--employee", help="Employee number, e.g. C0001")],
        day: Annotated[
            str | None, typer.Option("--date", help="YYYY-MM-DD (branch-local); default today")
        ] = None,
        fmt: Annotated[str, typer.Option("--format", help="text or json")] = "text",
    ) -> None:
        """Print the daily plan EMPLOYEE would get (the same content as the message)."""
        from bot.cli import context, fail
        from bot.jobs.plans import config_for, render_plan
        from bot.transport.console import plain
        from coaching import people
        from coaching.calendar import branch_info
        from coaching.plans.config import PlanConfigError
        from coaching.plans.days import plan_day

        if fmt not in ("text", "json"):
            raise fail("--format must be text or json")
        ctx = context()
        now = ctx.clock.now()
        emp = ctx.call(
            lambda s: (
                (e.id, e.branch.timezone, branch_info(e.branch))
                if (e := people.employee_by_no(s, employee)) is not None
                else None
            )
        )
        if emp is None:
            raise fail(f"no employee {employee}")
        try:
            when = date.fromisoformat(day) if day else None
        except ValueError:
            raise fail(f"--date {day!r} is not YYYY-MM-DD") from None
        tz = ZoneInfo(emp[1])
        today = now.astimezone(tz).date()
        when = when or today
        try:
            # Another day's plan is the one sent (or to be sent) at that day's send time.
            as_of = now if when == today else datetime.combine(when, config_for(emp[2]).send_at, tz)
            status, p, cfg = ctx.call(plan_day, emp[0], when, as_of, config_for)
        except PlanConfigError as exc:
            raise fail(str(exc)) from None
        if p is None:  # leave, weekend or holiday: the same rules as the morning job
            why = (
                f"{employee} is on leave ({status.detail})"
                if status.kind == "leave"
                else f"not a working day for {emp[2].code}"
                + (f" ({status.detail})" if status.detail else "")
            )
            if fmt == "json":
                data = {"workday": False, "status": status.kind, "detail": status.detail}
                typer.echo(json.dumps({**data, "date": when.isoformat()}, ensure_ascii=False))
            else:
                typer.echo(f"{when}: {why}: no plan.")
            return
        if fmt == "json":
            data = {"workday": True, **p.to_dict(cfg.top)}
            typer.echo(json.dumps(data, ensure_ascii=False, indent=2))
            return
        rel = {today: "today", today + timedelta(days=1): "tomorrow"}.get(when, "other")
        text, rows = render_plan(p, cfg, when=rel)
        typer.echo(plain(text))
        for row in rows:
            typer.echo("  ".join(f"[{label}]" for label, _ in row))

    @holidays_app.command("import")
    def holidays_import(file: Path) -> None:
        """Load holidays from a CSV: branch,date,name,is_workday (true marks a make-up workday)."""
        from bot.cli import context, fail, out
        from coaching.plans.holidays import HolidayCsvError, import_holidays

        ctx = context()
        try:
            added, updated = ctx.call(import_holidays, file)
        except HolidayCsvError as exc:
            raise fail(str(exc)) from None
        out.print(f"{added} holidays added, {updated} updated from {file}")
