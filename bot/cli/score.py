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
            str | None,
            typer.Option(
                help="YYYY-MM; default: the current month in COACHBOT_DEFAULT_TIMEZONE "
                "(each branch's month boundaries use the branch's own time zone)"
            ),
        ] = None,
        employee: Annotated[str | None, typer.Option(help="One employee number")] = None,
        team: Annotated[str | None, typer.Option(help="One team code")] = None,
        branch: Annotated[str | None, typer.Option(help="One branch code")] = None,
        format: Annotated[Format, typer.Option("--format", help="Output format")] = Format.table,
    ) -> None:
        """Scorecards for a month: live for the current month, recomputed for past ones.

        The default month is today's in COACHBOT_DEFAULT_TIMEZONE.
        Each branch's month runs from its own local midnight on the 1st.
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
            cards = ctx.call(
                cards_for,
                cfg,
                m,
                employee_no=employee,
                team=team,
                branch=branch,
                now=ctx.clock.now(),
            )
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
            str | None,
            typer.Option(
                help="YYYY-MM, the last month counted; default: last month in "
                "COACHBOT_DEFAULT_TIMEZONE"
            ),
        ] = None,
        branch: Annotated[str | None, typer.Option(help="One branch code")] = None,
    ) -> None:
        """The promotion ladder with its evidence: trainee → account manager (N consecutive
        frozen months ≥ threshold) and account manager → senior (N months on target plus a
        passed M6+ / restructuring drill or quiz), per branch configuration."""
        from bot.cli import context, fail, out
        from coaching.calendar import all_branches
        from coaching.scoring import ScoringConfigError, config_for
        from coaching.scoring.engine import add_months, local_month, parse_month
        from coaching.scoring.money import format_score
        from coaching.scoring.promotion import ladder

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
        branches = ctx.call(all_branches)
        if branch:
            branches = [b for b in branches if b.code == branch]
            if not branches:
                raise fail(f"no branch {branch}")
        total = 0
        for b in branches:
            spec = cfg.promotion_for(b.code)
            cands = ctx.call(ladder, cfg, m, b.id)
            total += len(cands)
            for step, rule in (
                (
                    "account_manager",
                    f"trainee → account manager: {spec.account_manager.months} months ≥ "
                    f"{format_score(spec.account_manager.threshold)}",
                ),
                (
                    "senior",
                    f"account manager → senior: {spec.senior.months} months ≥ "
                    f"{format_score(spec.senior.threshold)} + M6+/restructuring drill or quiz",
                ),
            ):
                table = Table(
                    "employee",
                    "name",
                    "team",
                    "totals (oldest first)",
                    "skill proof",
                    title=f"{b.code} {m:%Y-%m} {rule}",
                )
                for c in (c for c in cands if c.step == step):
                    table.add_row(
                        c.employee_no,
                        c.name,
                        c.team_code or "-",
                        " / ".join(format_score(t) for t in c.totals),
                        "; ".join(c.skill_proof) or "-",
                    )
                out.print(table)
        out.print(f"{total} candidate(s)")
