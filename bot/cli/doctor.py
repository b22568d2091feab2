"""`coachbot doctor`: the deployment checklist (bot/doctor.py)."""

from __future__ import annotations

import typer

MARK = {
    "ok": "[green]✔[/green]",
    "warn": "[yellow]![/yellow]",
    "fail": "[red]✘[/red]",
    "skip": "[dim]-[/dim]",
}


def doctor() -> None:
    """Check settings, database, Telegram, groups, LLM, keys, branches, jobs and the outbox.
    Exit code 0 only when everything needed is OK."""
    from rich.markup import escape

    from bot.cli import context, out
    from bot.doctor import run_checks

    report = run_checks(context())
    for c in report.checks:
        out.print(f"{MARK[c.status]} {escape(c.name)}: {escape(c.detail)}", soft_wrap=True)
        for line in c.more:
            out.print(f"    {escape(line)}", style="dim")
        if c.fix and c.status in ("fail", "warn"):
            out.print(f"    fix: {escape(c.fix)}", soft_wrap=True)
    fails = sum(c.status == "fail" for c in report.checks)
    warns = sum(c.status == "warn" for c in report.checks)
    out.print(f"{'ready' if report.ok else 'NOT ready'}: {fails} failed, {warns} warning(s)")
    if not report.ok:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.command("doctor")(doctor)
