"""`coachbot pii status` / `coachbot pii rotate` — PII key ids in storage, and re-keying
stored debtor keys to the newest key (docs/privacy.md, "Key rotation")."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.table import Table

from bot.settings import get_settings

out = Console()
err = Console(stderr=True)


def _table(title: str, counts: dict) -> Table:
    t = Table("table", "key id", "rows", title=title)
    for name, c in counts.items():
        for kid, n in sorted(c.items()):
            t.add_row(name, kid, str(n))
    return t


def register(app: typer.Typer) -> None:
    pii_app = typer.Typer(help="PII keys (key ids, rotation).", no_args_is_help=True)

    @pii_app.command("status")
    def status() -> None:
        """Stored debtor keys per key id."""
        from sqlalchemy.orm import Session

        from bot.context import build_context
        from coaching.pii_rotate import key_ids
        from coaching.privacy import KeyringError, keyring_from

        s = get_settings()
        try:
            ring = keyring_from(s)
        except KeyringError as exc:
            err.print(f"error: {exc}", highlight=False)
            raise typer.Exit(2) from None
        ctx = build_context(s)
        with Session(ctx.db.engine) as db:
            counts = key_ids(db)
        out.print(f"current key id: {ring.current_id}", highlight=False)
        out.print(_table("stored debtor keys", counts))

    @pii_app.command("rotate")
    def rotate_cmd() -> None:
        """Re-key every stored debtor key to the current key (COACHBOT_PII_KEY_ID); the
        older keys must be listed in COACHBOT_PII_PREVIOUS_KEYS. Safe to run again."""
        from sqlalchemy.orm import Session

        from bot.context import build_context
        from coaching.pii_rotate import rotate
        from coaching.privacy import KeyringError, keyring_from

        s = get_settings()
        try:
            ring = keyring_from(s)
            ctx = build_context(s)
            with Session(ctx.db.engine) as db:
                report = rotate(db, ring)
        except KeyringError as exc:
            err.print(f"error: {exc}", highlight=False)
            raise typer.Exit(2) from None
        out.print(_table("before", report.before))
        total = sum(report.rekeyed.values())
        parts = ", ".join(f"{k} {v}" for k, v in sorted(report.rekeyed.items())) or "nothing"
        out.print(f"re-keyed to key id {ring.current_id}: {total} rows ({parts})", highlight=False)

    app.add_typer(pii_app, name="pii")
