"""`coachbot scenarios check|list` — validate the role-play scenario library."""

from __future__ import annotations

import typer
from rich.console import Console

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
    def list_() -> None:
        """Id, competency, difficulty and title of each scenario."""
        for sc in sorted(load_dir(get_settings().scenarios_dir).values(), key=lambda s: s.id):
            out.print(
                f"{sc.id:<18} {sc.competency:<15} {'★' * sc.difficulty:<4} {sc.title}",
                highlight=False,
                markup=False,
            )

    app.add_typer(scen, name="scenarios")
