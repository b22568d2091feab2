"""`coachbot org apply|show|export`: the organisation (branches, teams) from a YAML file."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy.exc import DBAPIError

org_app = typer.Typer(help="Branches and teams from an organisation file.", no_args_is_help=True)

EXIT_INVALID = 2


class _DryRun(Exception):
    """Raised inside the transaction so a dry run rolls back."""


@org_app.command("apply")
def org_apply(
    file: Annotated[Path, typer.Argument(help="Organisation YAML (docs/examples/org.yaml)")],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print the changes, store nothing.")
    ] = False,
    defer_leads: Annotated[
        bool,
        typer.Option(
            "--defer-leads",
            help="Leads who are not employees yet are left unset (first apply before the "
            "employee import); apply again afterwards.",
        ),
    ] = False,
) -> None:
    """Create or update branches and teams so the database matches FILE (idempotent)."""
    from bot.cli import context, err, fail, out
    from coaching import org
    from coaching import org_apply as oa

    try:
        f = org.load(file)
    except org.OrgFileError as exc:
        raise fail(str(exc), EXIT_INVALID) from None
    ctx = context()
    plan: oa.Plan | None = None

    def run(s: object) -> None:
        nonlocal plan
        plan = oa.apply(s, f, defer_leads=defer_leads)  # type: ignore[arg-type]
        if dry_run:
            raise _DryRun

    try:
        ctx.call(run)
    except _DryRun:
        pass
    except org.OrgFileError as exc:
        raise fail(str(exc) + "\nnothing was changed", EXIT_INVALID) from None
    except DBAPIError as exc:
        reason = str(exc.orig).splitlines()[0] if exc.orig else type(exc).__name__
        raise fail(
            f"database not ready ({reason}): run `coachbot db upgrade` first; nothing was changed"
        ) from None
    assert plan is not None
    for note in plan.notes:
        err.print(f"note: {note}", highlight=False, markup=False, soft_wrap=True)
    for c in plan.changes:
        out.print(str(c), highlight=False, markup=False, soft_wrap=True)
    if not plan.changes:
        out.print("no changes: the database already matches the file")
    elif dry_run:
        out.print(f"dry run: {len(plan.changes)} change(s) not applied")
    else:
        out.print(f"{len(plan.changes)} change(s) applied")


@org_app.command("show")
def org_show() -> None:
    """The organisation as an org file, with notes (rules, plan time, members) as comments."""
    from bot.cli import context
    from coaching.compliance_auto import rules_from_settings
    from coaching.org_export import export

    ctx = context()
    rules = rules_from_settings(ctx.settings)
    typer.echo(ctx.call(export, comments=True, rules=rules), nl=False)


@org_app.command("export")
def org_export(
    output: Annotated[Path | None, typer.Option("-o", "--output", help="Write to a file")] = None,
) -> None:
    """The organisation as an org file (apply it again and nothing changes)."""
    from bot.cli import context, out
    from coaching.org_export import export

    ctx = context()
    text = ctx.call(export)
    if output is None:
        typer.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
        out.print(f"written to {output}")


def register(app: typer.Typer) -> None:
    app.add_typer(org_app, name="org")
