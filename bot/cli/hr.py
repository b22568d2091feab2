"""`coachbot risk …`, `coachbot attrition`, `coachbot exit …` (HR)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer

risk_app = typer.Typer(
    help="HR attrition risk: current scores and backtests.", no_args_is_help=True
)
exit_app = typer.Typer(help="HR exit workflow: record, list, rehire.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(risk_app, name="risk")
    app.add_typer(exit_app, name="exit")
    app.command("attrition")(attrition)


def _ctx():  # type: ignore[no-untyped-def]
    from bot.cli import context, ensure_schema

    ctx = context()
    ensure_schema(ctx)
    return ctx


def _cfg(path: Path | None):  # type: ignore[no-untyped-def]
    from bot.cli import fail, settings
    from coaching.risk.config import RiskConfigError, load_config

    try:
        return load_config(path or settings().risk_config)
    except RiskConfigError as exc:
        raise fail(str(exc)) from None


def _branches(ctx, code: str | None):  # type: ignore[no-untyped-def]
    from bot.cli import fail
    from coaching.calendar import all_branches

    bs = [b for b in ctx.call(all_branches) if code in (None, b.code)]
    if not bs:
        raise fail(f"no branch {code}")
    return bs


def _audit(ctx, action: str, detail: str = "") -> None:  # type: ignore[no-untyped-def]
    from coaching.people import audit

    ctx.call(audit, ctx.clock.now(), action, "allowed", detail=detail)


@risk_app.command("list")
def risk_list(
    branch: Annotated[str | None, typer.Option(help="Branch code; default every branch")] = None,
    all_: Annotated[bool, typer.Option("--all", help="Also people below every level")] = False,
    config: Annotated[
        Path | None, typer.Option(help="Risk config (default config/risk.yaml)")
    ] = None,
    fmt: Annotated[str, typer.Option("--format", help="table, csv or json")] = "table",
) -> None:
    """Score everyone now (not stored) and list who is at risk, with reasons."""
    from sqlalchemy import select

    from bot.cli import err, out
    from bot.i18n import plain, t
    from bot.listing import check_format, emit
    from coaching.risk.score import assess
    from db.models import Team

    check_format(fmt)
    ctx, cfg = _ctx(), _cfg(config)
    cols = ["branch", "date", "no", "name", "team", "score", "level", "top reasons"]
    rows: list[list[object]] = []
    notes: list[str] = []
    for b in _branches(ctx, branch):
        today = b.local(ctx.clock.now()).date()

        def work(s, b=b, today=today):  # type: ignore[no-untyped-def]
            run = assess(s, b, today, cfg)
            teams = dict(s.execute(select(Team.id, Team.code)).all())
            return (
                run,
                [
                    (
                        a,
                        teams.get(a.person.team_id, "-"),  # the team's code, not its database id
                        [plain(t("en", "hr.reason", k=r.key, p=r.params)) for r in a.reasons[:3]],
                    )
                    for a in run.assessments
                    if all_ or a.level
                ],
            )

        run, found = ctx.call(work)
        for a, team, reasons in found:
            rows.append(
                [
                    b.code,
                    today.isoformat(),
                    a.person.employee_no,
                    a.person.name,
                    team,
                    round(a.score),
                    a.level or "-",
                    "; ".join(reasons),
                ]
            )
        notes += [f"{b.code} signal {name}: {st}" for name, st in run.status.items()]
    emit(out, fmt, cols, rows, title="attrition risk")
    for n in notes:  # on stderr for csv/json, so the data stays clean
        (out if fmt == "table" else err).print(f"  {n}", highlight=False)
    _audit(ctx, "cli:risk list", branch or "*")


@risk_app.command("backtest")
def risk_backtest(
    months: Annotated[int | None, typer.Option(help="Only the last N month-ends")] = None,
    horizon: Annotated[int, typer.Option(help="Days after each month-end that count")] = 60,
    k: Annotated[int, typer.Option(help="precision@k")] = 10,
    fit: Annotated[bool, typer.Option("--fit", help="Fit weights by logistic regression")] = False,
    out_path: Annotated[
        Path | None, typer.Option("--out", help="Write fitted config here (default: in place)")
    ] = None,
    config: Annotated[
        Path | None, typer.Option(help="Risk config (default config/risk.yaml)")
    ] = None,
    fmt: Annotated[str, typer.Option("--format", help="table, csv or json")] = "table",
) -> None:
    """Replay history month by month; print AUC and precision@k of the risk score."""
    from bot.cli import err, fail, out
    from bot.listing import check_format, emit

    check_format(fmt)
    from coaching.risk import backtest
    from coaching.risk.config import config_path, load_config, write_weights

    ctx, cfg = _ctx(), _cfg(config)
    today = ctx.clock.now().date()
    rep = ctx.call(backtest.replay, cfg, today, horizon=horizon, months=months)
    if not rep.samples:
        raise fail("no history to replay (need month-ends at least HORIZON days ago)")
    m = backtest.metrics(rep.samples, k)
    per_month = [
        [d.isoformat(), n, pos, None if p is None else round(p, 3)] for d, n, pos, p in m.per_month
    ]
    if fmt == "json":
        import json

        data = {
            "auc": m.auc,
            "precision_at_k": m.precision_at_k,
            "k": k,
            "horizon_days": horizon,
            "samples": m.n,
            "leavers": m.positives,
            "month_ends": len(rep.month_ends),
            "per_month": [
                dict(zip(["month_end", "people", "left", "precision_at_k"], r, strict=True))
                for r in per_month
            ],
            "signals": rep.status,
        }
        out.print_json(json.dumps(data, ensure_ascii=False, default=str))
    else:
        emit(out, fmt, ["month-end", "people", f"left ≤{horizon}d", f"precision@{k}"], per_month)
    if fmt != "table":
        if fit:
            err.print("--fit is only available with the table output", highlight=False)
        return
    for name, st in rep.status.items():
        out.print(f"  signal {name}: {st}", highlight=False)
    auc = "n/a (one class only)" if m.auc is None else f"{m.auc:.3f}"
    pk = "n/a" if m.precision_at_k is None else f"{m.precision_at_k:.3f}"
    out.print(
        f"samples {m.n} (person × month-end), leavers {m.positives}, "
        f"month-ends {len(rep.month_ends)}",
        highlight=False,
    )
    out.print(f"AUC {auc}", highlight=False)
    out.print(f"precision@{k} {pk}", highlight=False)
    if not fit:
        return
    try:
        weights = backtest.fit(rep.samples, cfg)
    except ValueError as exc:
        raise fail(str(exc)) from None
    src = Path(cfg.path) if cfg.path else config_path()
    dest = out_path or src
    write_weights(src, weights, dest)
    new = load_config(dest)
    rescored = backtest.metrics(
        ctx.call(backtest.replay, new, today, horizon=horizon, months=months).samples, k
    )
    out.print("fitted weights: " + ", ".join(f"{n}={w:g}" for n, w in weights.items()))
    out.print(f"written to {dest}", highlight=False)
    fauc = "n/a" if rescored.auc is None else f"{rescored.auc:.3f}"
    fpk = "n/a" if rescored.precision_at_k is None else f"{rescored.precision_at_k:.3f}"
    out.print(f"with fitted weights (in-sample): AUC {fauc}, precision@{k} {fpk}", highlight=False)


def attrition(
    branch: Annotated[str | None, typer.Option(help="Branch code; default every branch")] = None,
    months: Annotated[int, typer.Option(help="Months in the monthly table")] = 6,
    chart: Annotated[Path | None, typer.Option(help="PNG path (default under output dir)")] = None,
    fmt: Annotated[str, typer.Option("--format", help="table, csv or json")] = "table",
) -> None:
    """Attrition rate (leavers / average headcount): monthly, quarterly, by team and tenure
    band, and exit reasons by category, with a PNG chart."""
    from zoneinfo import ZoneInfo

    from bot.charts.attrition import chart as draw
    from bot.cli import err, out
    from bot.listing import check_format, emit
    from coaching.risk.attrition import report

    check_format(fmt)
    ctx = _ctx()
    bs = _branches(ctx, branch)
    tz = ZoneInfo(bs[0].timezone if branch else ctx.settings.default_timezone)
    today = ctx.clock.now().astimezone(tz).date()
    ids = {b.id for b in bs} if branch else None
    rep = ctx.call(report, today, ids, n_months=months, scope=branch or "all")

    def pct(r) -> str:  # type: ignore[no-untyped-def]
        return "-" if r.rate is None else f"{100 * r.rate:.1f}%"

    if fmt != "table":  # one long listing: every period/group figure and the reasons
        rows: list[list[object]] = []
        for kind, periods in (("month", rep.monthly), ("quarter", rep.quarterly)):
            for p, rs in periods:
                for r in rs:
                    rows.append(
                        [
                            kind,
                            p.label,
                            p.partial,
                            r.group,
                            r.leavers,
                            r.avg_headcount,
                            None if r.rate is None else round(r.rate, 4),
                        ]
                    )
        for kind, rs in (("team_12m", rep.by_team), ("tenure_12m", rep.by_tenure)):
            for r in rs:
                rows.append(
                    [
                        kind,
                        "12m",
                        False,
                        r.group,
                        r.leavers,
                        r.avg_headcount,
                        None if r.rate is None else round(r.rate, 4),
                    ]
                )
        for reason, n in rep.reasons.items():
            rows.append(["exit_reason_12m", "12m", False, reason, n, None, None])
        emit(
            out,
            fmt,
            ["kind", "period", "partial", "group", "leavers", "avg_headcount", "rate"],
            rows,
        )
        path = chart or ctx.output_dir / f"attrition-{branch or 'all'}-{today}.png"
        draw(rep, path, locale=ctx.settings.default_locale)
        err.print(f"chart: {path}", highlight=False)
        _audit(ctx, "cli:attrition", branch or "*")
        return
    for title, periods in (("monthly", rep.monthly), ("quarterly", rep.quarterly)):
        groups = [r.group for r in periods[0][1]] if periods else []
        emit(
            out,
            "table",
            [title, *groups],
            [
                [
                    p.label + (" (to date)" if p.partial else ""),
                    *[f"{pct(r)} ({r.leavers}/{r.avg_headcount:g})" for r in rs],
                ]
                for p, rs in periods
            ],
            title=f"attrition {title} (leavers/avg headcount)",
        )
    for title, rs in (("team", rep.by_team), ("tenure", rep.by_tenure)):
        emit(
            out,
            "table",
            [title, "leavers", "avg headcount", "rate"],
            [[r.group, r.leavers, f"{r.avg_headcount:g}", pct(r)] for r in rs],
            title=f"last 12 months by {title}",
        )
    out.print(
        "exit reasons (12 months): " + ", ".join(f"{k} {v}" for k, v in rep.reasons.items()),
        highlight=False,
    )
    path = chart or ctx.output_dir / f"attrition-{branch or 'all'}-{today}.png"
    draw(rep, path, locale=ctx.settings.default_locale)
    out.print(f"chart: {path}", highlight=False)
    _audit(ctx, "cli:attrition", branch or "*")


@exit_app.command("record")
def exit_record(
    employee_no: str,
    last_day: Annotated[str, typer.Option(help="Last working day, YYYY-MM-DD")],
    reason_category: Annotated[str, typer.Option(help="personal / internal / external")],
    detail: Annotated[str, typer.Option(help="Reason in a few words")] = "",
    handover: Annotated[
        list[str] | None, typer.Option(help="Handover checklist item (repeatable)")
    ] = None,
    interview: Annotated[str, typer.Option(help="Exit-interview notes")] = "",
) -> None:
    """Record a resignation: the person is set to left; bot access ends after the last day."""
    from bot.cli import fail, out
    from coaching.risk.exits import ExitError, record_exit

    try:
        day = date.fromisoformat(last_day)
    except ValueError:
        raise fail(f"--last-day: {last_day!r} is not a date (YYYY-MM-DD)") from None
    ctx = _ctx()
    try:
        ctx.call(
            lambda s: (
                record_exit(
                    s,
                    employee_no,
                    last_day=day,
                    category=reason_category,
                    detail=detail,
                    handover=handover or [],
                    interview=interview,
                    now=ctx.clock.now(),
                )
                and None
            )
        )
    except ExitError as exc:
        raise fail(f"{employee_no}: {exc}") from None
    out.print(f"{employee_no}: exit recorded, last day {day} ({reason_category})", highlight=False)


@exit_app.command("list")
def exit_list(
    since: Annotated[str | None, typer.Option(help="Only last days on/after YYYY-MM-DD")] = None,
    branch: Annotated[str | None, typer.Option(help="Branch code")] = None,
    fmt: Annotated[str, typer.Option("--format", help="table, csv or json")] = "table",
) -> None:
    """Recorded exits, newest first."""
    from bot.cli import out
    from bot.listing import check_format, emit
    from coaching.risk.exits import list_exits

    check_format(fmt)
    ctx = _ctx()
    bid = _branches(ctx, branch)[0].id if branch else None
    rows = ctx.call(list_exits, date.fromisoformat(since) if since else None, bid)
    cols = ["no", "name", "branch", "team", "last day", "category", "detail", "handover", "rehired"]
    emit(
        out,
        fmt,
        cols,
        [
            [
                r.employee_no,
                r.name,
                r.branch,
                r.team,
                r.last_day or "-",
                r.category,
                r.detail,
                "; ".join(r.handover) if fmt != "table" else len(r.handover),
                r.rehired_on or "",
            ]
            for r in rows
        ],
    )
    _audit(ctx, "cli:exit list", branch or "*")


@exit_app.command("rehire")
def exit_rehire(
    employee_no: str,
    on: Annotated[str | None, typer.Option(help="Rehire date YYYY-MM-DD; default today")] = None,
) -> None:
    """Rehire a former employee: active again with a new hire date; the exit stays on record."""
    from bot.cli import fail, out
    from coaching.risk.exits import ExitError, rehire

    ctx = _ctx()
    day = date.fromisoformat(on) if on else ctx.clock.now().date()
    try:
        ctx.call(lambda s: rehire(s, employee_no, day, ctx.clock.now()) and None)
    except ExitError as exc:
        raise fail(f"{employee_no}: {exc}") from None
    out.print(f"{employee_no} rehired on {day}", highlight=False)
