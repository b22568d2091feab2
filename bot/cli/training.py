"""`coachbot content import|lint DIR`, `coachbot training push …`, `coachbot training stats`."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Annotated

import typer

content_app = typer.Typer(
    help="Training content (courses and quizzes as YAML).", no_args_is_help=True
)
training_app = typer.Typer(help="Training pushes and statistics.", no_args_is_help=True)


def default_content_dir(configured: str) -> Path:
    """The configured content dir; a relative one that does not exist is taken from the repo."""
    p = Path(configured)
    if not p.is_absolute() and not p.exists():
        p = Path(__file__).resolve().parents[2] / configured
    return p


@content_app.command("import")
def content_import(
    directory: Annotated[
        Path | None, typer.Argument(help="Default: COACHBOT_TRAINING_CONTENT_DIR")
    ] = None,
    check: Annotated[bool, typer.Option("--check", help="Validate only; store nothing")] = False,
) -> None:
    """Validate every YAML file under DIRECTORY and upsert them by id (all or nothing)."""
    from bot.cli import context, ensure_schema, err, fail, out
    from coaching.training import rules
    from coaching.training.content import import_dir

    ctx = context()
    ensure_schema(ctx)
    d = directory or default_content_dir(ctx.settings.training_content_dir)
    facts = rules.from_settings(ctx.settings)
    rep = ctx.call(import_dir, d, ctx.clock.now(), dry_run=check, rules=facts)
    if rep.errors:
        for e in rep.errors:
            err.print(f"[red]refused[/red] {e}", highlight=False)
        raise fail(f"{len(rep.errors)} bad file(s); nothing imported")
    if check:
        out.print(f"{d}: all files valid")
        return
    out.print(
        f"imported from {d}: {len(rep.created)} created, {len(rep.updated)} updated, "
        f"{len(rep.unchanged)} unchanged"
    )


@content_app.command("lint")
def content_lint(
    directory: Annotated[
        Path | None, typer.Argument(help="Default: COACHBOT_TRAINING_CONTENT_DIR")
    ] = None,
    profile: Annotated[
        str, typer.Option(help="Compliance rule profile the content must agree with")
    ] = "default",
    scenarios: Annotated[
        Path | None, typer.Option(help="Role-play scenarios (default: COACHBOT_SCENARIOS_DIR)")
    ] = None,
) -> None:
    """Check what the content teaches: balanced answer keys, no term the compliance guard
    flags in a title, and call limits stated as the configured rule counts them."""
    from bot.cli import context, err, fail, out
    from coaching.roleplay.scenarios import DEFAULT_DIR
    from coaching.training import rules
    from coaching.training.lint import lint

    ctx = context()
    d = directory or default_content_dir(ctx.settings.training_content_dir)
    try:
        facts = rules.from_settings(ctx.settings, profile)
    except ValueError as exc:
        raise fail(str(exc)) from None
    sc = scenarios or (Path(ctx.settings.scenarios_dir) if ctx.settings.scenarios_dir else None)
    problems = lint(d, facts, sc or DEFAULT_DIR)
    for p in problems:
        err.print(f"[red]problem[/red] {p}", highlight=False)
    if problems:
        raise fail(f"{len(problems)} problem(s) in {d}")
    counted = "connected calls" if facts.connected_only else "dial attempts"
    out.print(
        f"{d}: content agrees with the {facts.profile} rule "
        f"(≤ {facts.max_calls} {counted} a day, {facts.hours}); answer keys balanced",
        highlight=False,
    )


@training_app.command("push")
def training_push(
    item: Annotated[str, typer.Argument(help="Course or quiz id (slug)")],
    person: Annotated[str | None, typer.Option(help="Employee number")] = None,
    team: Annotated[str | None, typer.Option(help="Team code")] = None,
    branch: Annotated[str | None, typer.Option(help="Branch code")] = None,
    new_hires: Annotated[
        int | None, typer.Option(help="Hired in the last N days (with --branch: that branch)")
    ] = None,
    days: Annotated[int | None, typer.Option(help="Due in N days (trainee-local)")] = None,
    due: Annotated[str | None, typer.Option(help="Due date YYYY-MM-DD (trainee-local)")] = None,
) -> None:
    """Push ITEM to a person, a team, a branch or the recent new hires."""
    from bot.cli import context, fail, out
    from coaching.training import service

    if new_hires is not None:
        ttype, ref = "new_hires", f"{new_hires}:{branch}" if branch else str(new_hires)
    else:
        chosen = [(k, v) for k, v in (("person", person), ("team", team), ("branch", branch)) if v]
        if len(chosen) != 1:
            raise fail("give exactly one of --person, --team, --branch, --new-hires")
        ttype, ref = chosen[0]
    on = None
    if due:
        try:
            on = date.fromisoformat(due)
        except ValueError:
            raise fail(f"--due {due!r} is not YYYY-MM-DD") from None
    ctx = context()
    cfg = service.config_from(ctx.settings)
    res = ctx.call(service.push, item, ttype, ref, ctx.clock.now(), days=days, on=on, cfg=cfg)
    if isinstance(res, service.TargetError):
        raise fail(f"{res.value}: {item} → {ttype} {ref}")
    from bot.notify.training import queue_push_notices

    # Same notices as a push in chat: trainees and the trainers' chat, via the outbox.
    trainees, chats = ctx.call(queue_push_notices, res, f"{ttype}:{ref}", ctx.clock.now())
    out.print(
        f"push #{res.push_id} {res.item_title}: {len(res.assigned)} assigned, "
        f"{len(res.skipped)} skipped (already open); due {sorted(set(res.due_local.values()))}; "
        f"notices queued: {trainees} trainee(s), {chats} trainers' chat(s)"
    )


@training_app.command("stats")
def training_stats(
    fmt: Annotated[str, typer.Option("--format", help="table, csv (pushes) or json")] = "table",
    branch: Annotated[str | None, typer.Option(help="Branch code; default every branch")] = None,
) -> None:
    """The figures /stats shows: completion, pass rates, per-question rates, who is behind."""
    from bot.cli import context, fail, out
    from bot.listing import check_format, emit
    from coaching.calendar import all_branches
    from coaching.training import analytics

    check_format(fmt)
    ctx = context()
    branch_id = None
    if branch:
        match = [b for b in ctx.call(all_branches) if b.code == branch]
        if not match:
            raise fail(f"no branch {branch}")
        branch_id = match[0].id
    st = ctx.call(analytics.compute, ctx.clock.now(), branch_id, branch or "*")
    if fmt == "json":
        typer.echo(json.dumps(st.to_dict(), ensure_ascii=False, indent=2))
        return
    if fmt == "csv":  # one flat listing: the pushes (the per-question rates are in json)
        emit(
            out,
            "csv",
            [
                "push",
                "item",
                "title",
                "target",
                "assigned",
                "completed",
                "completion_pct",
                "overdue",
                "due_passed",
                "flagged",
            ],
            [
                [
                    p.push_id,
                    p.slug,
                    p.title,
                    p.target,
                    p.assigned,
                    p.completed,
                    p.completion_pct,
                    p.overdue,
                    p.due_passed,
                    p.flagged,
                ]
                for p in st.pushes
            ],
        )
        return
    emit(
        out,
        "table",
        ["push", "item", "target", "done", "%", "late", "flag"],
        [
            [
                p.push_id,
                p.title,
                p.target,
                f"{p.completed}/{p.assigned}",
                f"{p.completion_pct:.0f}",
                p.overdue,
                "<80%" if p.flagged else "",
            ]
            for p in st.pushes
        ],
        title="completion per push",
    )
    emit(
        out,
        "table",
        ["quiz", "passed", "pass %", "attempts"],
        [
            [q.title, f"{q.passed}/{q.trainees}", f"{q.pass_pct:.0f}", q.attempts]
            for q in st.quizzes
        ],
        title="pass rate per quiz",
    )
    emit(
        out,
        "table",
        ["question", "competency", "correct", "%", "flag"],
        [
            [
                f"{qq.quiz_title} Q{qq.number}",
                qq.competency,
                f"{qq.correct}/{qq.answers}",
                f"{qq.correct_pct:.0f}",
                "<70%" if qq.flagged else "",
            ]
            for qq in st.questions
        ],
        title="correct rate per question",
    )
    emit(
        out,
        "table",
        ["employee", "name", "team", "late", "failed mandatory"],
        [[b.employee_no, b.name, b.team, b.overdue, b.failed_mandatory] for b in st.behind],
        title="falling behind",
    )


def register(app: typer.Typer) -> None:
    app.add_typer(content_app, name="content")
    app.add_typer(training_app, name="training")
