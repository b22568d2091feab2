"""The ways into the dashboard from the chat: web_app buttons under /team, /stats and /risk
(private chats), a direct Mini App link under HR alerts (groups allow no web_app buttons);
none of them without a public https URL."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bot import outbox
from bot.jobs import get_job, run_job
from coaching.calendar import all_branches
from tests import dashboard_seed as ds
from tests.conftest import Harness

PUBLIC = "https://coach.example.com"


def web_apps(msg: Any) -> list[str]:
    rows = (msg.reply_markup or {}).get("inline_keyboard", [])
    return [b["web_app"]["url"] for row in rows for b in row if "web_app" in b]


def urls(msg: Any) -> list[str]:
    rows = (msg.reply_markup or {}).get("inline_keyboard", [])
    return [b["url"] for row in rows for b in row if "url" in b]


async def test_buttons_only_with_a_public_url(ctx: Any, harness: Harness, tmp_path: Path) -> None:
    org = ds.seed(ctx, tmp_path)
    [table] = await harness.chat.send(ds.LEAD, "/team")
    assert web_apps(table) == []
    ctx.settings = ctx.settings.model_copy(update={"public_url": PUBLIC})
    [table] = await harness.chat.send(ds.LEAD, "/team")
    assert web_apps(table) == [f"{PUBLIC}/app/?v=team&team={org.teams['SH-1']}"]
    stats = (await harness.chat.send(ds.TRAINER, "/stats"))[0]
    assert web_apps(stats) == [f"{PUBLIC}/app/?v=training"]
    risk = await harness.chat.send(ds.HR_SH, "/risk")
    assert web_apps(risk[-1]) == [f"{PUBLIC}/app/?v=risk"]


async def test_hr_alert_links_to_the_mini_app(ctx: Any, harness: Harness, tmp_path: Path) -> None:
    ds.seed(ctx, tmp_path)
    ctx.settings = ctx.settings.model_copy(update={"public_url": PUBLIC})
    for b in ctx.call(all_branches):
        if b.code == "SH":
            run_job(ctx, get_job("hr_risk_weekly"), b, force=True)
    await outbox.deliver_due(harness.chat.app.bot, ctx, pacer=outbox.Pacer(1000.0, 0.0))
    sent = harness.api.sent(-100500)
    assert sent, "the weekly alert was posted"
    links = [u for m in sent for u in urls(m)]
    assert links == [f"https://t.me/{ctx.settings.bot_username}?startapp=risk"]
    assert all(web_apps(m) == [] for m in sent)  # no web_app button in a group
