"""Screenshots of every dashboard page in zh_CN (docs/img/dashboard-*.png).

    .venv/bin/python docs/screenshots.py [--out docs/img] [--db /tmp/coachbot-shots.db]

Builds the demo organisation (seed 7) at a fixed clock in a scratch SQLite file, serves the
web app on a free local port with the console's demo login, and drives Debian's chromium
(/usr/bin/chromium, headless; never a browser download) at a phone-sized viewport. Every
branch's page data is precomputed first, as a running bot serves it. Telegram's apps draw the
emoji themselves; for the screenshots install Debian's fonts-noto-color-emoji (else boxes).
"""

from __future__ import annotations

import argparse
import os
import sys
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")

from bot.context import AppContext
from bot.dashboard.links import demo_urls, enable_demo
from bot.settings import load_settings
from bot.web import build_web_app
from coaching.clock import FrozenClock
from db.session import Database

# A Thursday in December 2026, 11:00 in Shanghai: a month with data, alerts and pushes.
AT = datetime(2026, 12, 3, 3, 0, tzinfo=UTC)
CHROMIUM = "/usr/bin/chromium"
SHOTS = [
    ("L0001", "team", "?v=team"),
    ("L0001", "team-sorted", "?v=team&sort=c:recovery"),
    ("H0001", "branches", "?v=branches"),
    ("C0001", "person", "?v=person"),
    ("T0001", "training", "?v=training"),
    ("H0001", "risk", "?v=risk"),
]


def world(db_path: Path) -> AppContext:
    from bot.demo import build_demo

    fresh = not db_path.exists()
    db = Database(f"sqlite:///{db_path}")
    db.create_all()
    settings = load_settings(
        _env_file=None,
        DATABASE_URL=db.url,
        TELEGRAM_BOT_TOKEN=None,
        COACHBOT_OUTPUT_DIR=str(db_path.parent / "coachbot-shots-out"),
    )
    ctx = AppContext(settings=settings, db=db, clock=FrozenClock(AT))
    if fresh:
        build_demo(ctx, seed=7)
    return ctx


def browser_args() -> list[str]:
    args = ["--disable-gpu", "--disable-dev-shm-usage"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        args.append("--no-sandbox")  # chromium refuses its sandbox as root (CI containers)
    return args


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--out", default=str(Path(__file__).resolve().parent / "img"))
    ap.add_argument("--db", default="/tmp/coachbot-shots.db")
    args = ap.parse_args()
    from playwright.sync_api import sync_playwright

    from tests.servers import serve_in_thread

    ctx = world(Path(args.db))
    # As a running bot serves them: every branch's page data precomputed by the job.
    from bot.jobs.dashboard import precompute
    from coaching.calendar import all_branches

    for branch in ctx.call(all_branches):
        precompute(ctx, branch, AT)
    enable_demo(ctx)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    with serve_in_thread(build_web_app(ctx)) as base, sync_playwright() as pw:
        links = {no: url for no, _, url in demo_urls(ctx, base)}
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=browser_args())
        for no, name, query in SHOTS:
            page = browser.new_page(
                viewport={"width": 400, "height": 860}, device_scale_factor=2, locale="zh-CN"
            )
            page.goto(links[no])
            page.wait_for_selector("section[data-page]")
            page.goto(f"{base}/app/{query}")
            page.wait_for_selector("section[data-page]")
            page.evaluate("document.fonts.ready.then(() => true)")
            path = out / f"dashboard-{name}.png"
            page.screenshot(path=str(path), full_page=False)
            print(path)
            page.close()
        browser.close()


if __name__ == "__main__":
    main()
