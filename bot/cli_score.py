"""`coachbot score` and `coachbot promotions`."""

from __future__ import annotations

import json
from enum import StrEnum
from typing import Annotated

import typer
from rich.table import Table


class Format(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"


def register(app: typer.Typer) -> None:
    @app.command()
    def score(
        month: Annotated[
            str | None, typer.Option(help="YYYY-MM; default this month (branch-local)")
        ] = None,
        employee: Annotated[str | None, typer.Option(help="One employee number")] = None,
        team: Annotated[str | None, typer.Option(help="One team code")] = None,
        branch: Annotated[str | None, typer.Option(help="One branch code")] = None,
        format: Annotated[Format, typer.Option("--format", help="Output format")] = Format.table,
    ) -> None:
        """Scorecards for a month: live for the current month, recomputed for past ones.

        JSON follows the documented schema "coachbot.scorecards/1" (docs/scoring.md)."""
        from bot.cli import context, fail, out
        from coaching.scoring import ScoringConfigError, config_for
        from coaching.scoring.engine import local_month, parse_month
        from coaching.scoring.export import document, to_csv
        from coaching.scoring.service import ScopeError, cards_for

        if sum(x is not None for x in (employee, team, branch)) > 1:
            raise fail("give at most one of --employee, --team, --branch")
        ctx = context()
        try:
            cfg = config_for(ctx.settings)
            m = (
                parse_month(month)
                if month
                else local_month(ctx.clock.now(), ctx.settings.default_timezone)
            )
            cards = ctx.call(cards_for, cfg, m, employee_no=employee, team=team, branch=branch)
        except (ScoringConfigError, ScopeError, ValueError) as exc:
            raise fail(str(exc).strip("'\"")) from None
        if format == Format.json:
            typer.echo(json.dumps(document(cfg, m, cards), ensure_ascii=False, indent=2))
            return
        if format == Format.csv:
            typer.echo(to_csv(cards), nl=False)
            return
        names: list[str] = []
        for c in cards:
            names += [n for n in c.components if n not in names]
        table = Table(title=f"Scorecards {m:%Y-%m}")
        table.add_column("employee", no_wrap=True)
        table.add_column("name", max_width=8)
        table.add_column("team", no_wrap=True)
        table.add_column("prof")
        table.add_column("total", no_wrap=True, justify="right")
        table.add_column("#team", justify="right")
        table.add_column("#branch", justify="right")
        for n in names:
            table.add_column(n[:6], justify="right", no_wrap=True)
        table.add_column("veto", max_width=24)
        for c in cards:
            comps = []
            for n in names:
                comp = c.components.get(n)
                comps.append(
                    "" if comp is None else "n/a" if comp.score is None else f"{comp.score:.1f}"
                )
            table.add_row(
                c.employee_no,
                c.name,
                c.team_code or "-",
                c.profile,
                "n/a" if c.total is None else f"{c.total:.1f}",
                str(c.rank_team or "-"),
                str(c.rank_branch or "-"),
                *comps,
                c.veto_reason if c.vetoed else "",
            )
        out.print(table)

    @app.command()
    def promotions(
        month: Annotated[
            str | None, typer.Option(help="YYYY-MM, the last month counted; default last month")
        ] = None,
        branch: Annotated[str | None, typer.Option(help="One branch code")] = None,
    ) -> None:
        """Collectors with N consecutive frozen months at or above the threshold."""
        from bot.cli import context, fail, out
        from coaching.calendar import all_branches
        from coaching.scoring import ScoringConfigError, config_for
        from coaching.scoring.engine import add_months, local_month, parse_month
        from coaching.scoring.snapshots import promotion_candidates

        ctx = context()
        try:
            cfg = config_for(ctx.settings)
            m = (
                parse_month(month)
                if month
                else add_months(local_month(ctx.clock.now(), ctx.settings.default_timezone), -1)
            )
        except (ScoringConfigError, ValueError) as exc:
            raise fail(str(exc)) from None
        bid = None
        if branch:
            found = [b for b in ctx.call(all_branches) if b.code == branch]
            if not found:
                raise fail(f"no branch {branch}")
            bid = found[0].id
        cands = ctx.call(promotion_candidates, cfg, m, bid)
        p = cfg.promotion
        table = Table(
            "employee",
            "name",
            "team",
            "totals (oldest first)",
            title=f"Promotion candidates {m:%Y-%m}: {p.months} months ≥ {p.threshold:g}",
        )
        for c in cands:
            table.add_row(
                c.employee_no, c.name, c.team_code or "-", " / ".join(f"{t:.1f}" for t in c.totals)
            )
        out.print(table)
        out.print(f"{len(cands)} candidate(s)")
