"""`coachbot scenarios check|list` — validate the role-play scenario library."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console

from bot.listing import FormatOption, check_format, emit
from bot.settings import get_settings
from coaching.roleplay.scenarios import ScenarioError, load_dir

out = Console()
err = Console(stderr=True)


def register(app: typer.Typer) -> None:
    scen = typer.Typer(help="Role-play scenarios.", no_args_is_help=True)

    @scen.command("check")
    def check(
        directory: str = typer.Argument(None, help="defaults to COACHBOT_SCENARIOS_DIR"),
    ) -> None:
        """Validate every scenario file; the first bad one is named with item and reason."""
        try:
            lib = load_dir(directory or get_settings().scenarios_dir)
        except ScenarioError as exc:
            err.print(f"invalid scenario: {exc}", highlight=False, markup=False)
            raise typer.Exit(1) from None
        out.print(f"{len(lib)} scenarios OK: {', '.join(sorted(lib))}", highlight=False)

    @scen.command("list")
    def list_(fmt: Annotated[str, FormatOption] = "table") -> None:
        """Id, competency, difficulty, offline terms and title of each scenario."""
        check_format(fmt)
        lib = sorted(load_dir(get_settings().scenarios_dir).values(), key=lambda s: s.id)
        rows = [
            [
                sc.id,
                sc.competency,
                sc.difficulty,
                "yes" if sc.terms else "no",
                sc.title,
                sc.title_en,
            ]
            for sc in lib
        ]
        cols = ["id", "competency", "difficulty", "offline terms", "title", "title (en)"]
        emit(out, fmt, cols, rows)

    app.add_typer(scen, name="scenarios")
