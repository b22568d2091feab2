"""`coachbot import KIND FILE` and `coachbot token create|list|revoke` (ingest API tokens)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn
from rich.table import Table

from coaching.ingest import KINDS

token_app = typer.Typer(help="Bearer tokens for the HTTP ingest API.", no_args_is_help=True)

EXIT_REJECTED = 1
EXIT_FAILED = 2


def import_cmd(
    kind: Annotated[str, typer.Argument(help=f"One of: {', '.join(KINDS)}")],
    file: Annotated[Path, typer.Argument(help="CSV (UTF-8 or GBK), XLSX or JSON file")],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Validate and count, store nothing.")
    ] = False,
    skip_invalid: Annotated[
        bool,
        typer.Option(
            "--skip-invalid",
            help="Store the valid rows; write rejected ones to FILE.rejects.csv beside the input.",
        ),
    ] = False,
    mapping: Annotated[
        Path | None, typer.Option("--mapping", help="YAML/JSON mapping of other headers.")
    ] = None,
    encoding: Annotated[
        str | None,
        typer.Option(
            "--encoding", help="The CSV's text encoding (e.g. gb18030, cp1252); skips detection."
        ),
    ] = None,
) -> None:
    """Import KIND records from FILE: validated, upserted on the natural key, all-or-nothing.

    Exit code 0 when every row was accepted, 1 when rows were rejected, 2 when the file could
    not be read at all."""
    from sqlalchemy.exc import DBAPIError

    from bot.cli import context, err, fail, out
    from coaching.ingest import InputError, Mapping, Options, import_table, read_path
    from coaching.ingest.engine import ImportReport, rejects_path_for
    from coaching.ingest.limits import DEFAULT
    from coaching.ingest.retry import with_retries

    if kind not in KINDS:
        raise fail(f"unknown kind {kind!r}; use one of {', '.join(KINDS)}")
    ctx = context()
    limits = DEFAULT.with_settings(ctx.settings)
    try:
        m = Mapping.load(mapping) if mapping else None
        if encoding:
            m = m or Mapping()
            m.encoding = encoding
        table = read_path(file, m, limits)
    except InputError as exc:
        raise fail(str(exc)) from None
    opts = Options(
        dry_run=dry_run,
        skip_invalid=skip_invalid,
        mapping=m,
        rejects_path=rejects_path_for(file) if skip_invalid else None,
    )
    big = (table.total or 0) >= 5000
    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=err,
        transient=True,
        disable=not big,
    ) as progress:
        task = progress.add_task(f"{kind} ← {file.name}", total=table.total)
        opts.progress = lambda done, total: progress.update(task, completed=done, total=total)
        first = [table]

        def attempt() -> ImportReport:
            # A retry (deadlock with a concurrent import) reads the file again.
            t = first.pop() if first else read_path(file, m, limits)
            return import_table(ctx, kind, t, opts)

        try:
            report = with_retries(attempt, what=f"import {kind} {file.name}")
        except InputError as exc:
            raise fail(str(exc)) from None
        except DBAPIError as exc:
            why = str(exc.orig).splitlines()[0] if exc.orig else type(exc).__name__
            msg = f"{file}: the database refused the import ({why}); nothing was stored"
            raise fail(msg) from None

    for e in report.errors[:100]:
        where = f"{file}:{e.line}"
        col = e.column if e.column == e.field else f"{e.column} ({e.field})"
        err.print(
            f"{where}: column {col} = {e.value!r}: {e.reason}",
            highlight=False,
            markup=False,
            soft_wrap=True,
        )
    if len(report.errors) > 100:
        err.print(f"… and {len(report.errors) - 100} more problems")
    if report.fatal:
        raise fail(report.fatal)

    t = Table(title=f"import {kind}: {file.name}", show_header=False)
    t.add_column("", style="bold")
    t.add_column("", justify="right")
    t.add_row("encoding", report.encoding or "xlsx")
    t.add_row("rows read", str(report.rows))
    t.add_row("valid", str(report.valid))
    t.add_row("rejected", str(report.rejected))
    t.add_row("inserted", str(report.inserted))
    t.add_row("updated", str(report.updated))
    t.add_row("unchanged", str(report.unchanged))
    if report.duplicates:
        t.add_row("repeated keys in file", str(report.duplicates))
    if kind == "calls":
        t.add_row("new auto compliance findings", str(report.auto_findings))
    t.add_row("seconds", f"{report.seconds:.1f}")
    if report.ignored_columns:
        t.add_row("ignored columns", ", ".join(report.ignored_columns))
    out.print(t)
    if report.dry_run:
        out.print("dry run: nothing was stored")
    elif not report.applied:
        out.print(
            f"[red]nothing stored[/red]: {report.rejected} row(s) rejected; fix them or use "
            "--skip-invalid"
        )
    if report.rejects_path:
        out.print(f"rejected rows written to {report.rejects_path}")
    if report.rejected:
        raise typer.Exit(EXIT_REJECTED)


@token_app.command("create")
def token_create(
    name: Annotated[str, typer.Option("--name", help="Who uses it, e.g. the export job")],
    scope: Annotated[str, typer.Option("--scope", help="Scope: ingest")] = "ingest",
    kind: Annotated[
        list[str] | None,
        typer.Option(
            "--kind",
            help="A record kind it may write (repeat the option); default: every kind but "
            "employees. No token can change roles, bindings, invites or groups.",
        ),
    ] = None,
) -> None:
    """Create an API token; it is printed once and stored only as a hash."""
    from bot.cli import context, fail, out
    from bot.ingest_api import SCOPES, create_token

    if scope not in SCOPES:
        raise fail(f"scope must be one of {', '.join(SCOPES)}")
    unknown = [k for k in kind or [] if k not in KINDS]
    if unknown:
        raise fail(f"unknown kind(s) {', '.join(unknown)}; use {', '.join(KINDS)}")
    ctx = context()
    tid, raw = ctx.call(create_token, name, scope, ctx.clock.now(), kind or None)
    from bot.ingest_api import DEFAULT_KINDS

    kinds = ", ".join(dict.fromkeys(kind)) if kind else ", ".join(DEFAULT_KINDS)
    out.print(f"token {tid} ({scope}: {kinds}; {name}) — shown once, keep it secret:")
    out.print(raw, highlight=False, markup=False)


@token_app.command("list")
def token_list() -> None:
    """Every API token (never the token itself)."""
    from bot.cli import context, out
    from bot.ingest_api import list_tokens, token_kinds

    ctx = context()
    t = Table("id", "name", "scope", "kinds", "created (UTC)", "last used (UTC)", "revoked (UTC)")
    for tok in ctx.call(list_tokens):
        t.add_row(
            str(tok.id),
            tok.name,
            tok.scope,
            ", ".join(token_kinds(tok)),
            f"{tok.created_at:%Y-%m-%d %H:%M}",
            f"{tok.last_used_at:%Y-%m-%d %H:%M}" if tok.last_used_at else "-",
            f"{tok.revoked_at:%Y-%m-%d %H:%M}" if tok.revoked_at else "-",
        )
    out.print(t)


@token_app.command("revoke")
def token_revoke(token_id: int) -> None:
    """Revoke token ID: the API answers 403 for it from now on."""
    from bot.cli import context, fail, out
    from bot.ingest_api import revoke_token

    ctx = context()
    if not ctx.call(revoke_token, token_id, ctx.clock.now()):
        raise fail(f"no active token {token_id}")
    out.print(f"token {token_id} revoked")


def register(app: typer.Typer) -> None:
    app.command("import")(import_cmd)
    app.add_typer(token_app, name="token")
