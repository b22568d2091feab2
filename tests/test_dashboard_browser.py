"""The dashboard in a real browser: Debian's chromium (/usr/bin/chromium, headless) driven by
Playwright; never a browser download. Each page loads with genuine initData, a forged or stale
one is refused, each role sees only its scope, and the HR buttons change the same records as
the chat's alert buttons. Skipped, with the reason, when chromium or playwright is missing
(.ci/run installs both)."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from sqlalchemy import select

from bot.dashboard.auth import make_init_data
from bot.dashboard.routes import DEMO_KEY
from bot.web import build_web_app
from db.models import RiskAction
from tests import dashboard_seed as ds
from tests.conftest import Harness
from tests.servers import serve_in_thread

CHROMIUM = os.environ.get("COACHBOT_CHROMIUM", "/usr/bin/chromium")
os.environ.setdefault("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")
try:
    from playwright.async_api import Browser, Page, async_playwright
except ImportError:  # pragma: no cover - dev extra missing
    async_playwright = None  # type: ignore[assignment]

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)),
        reason=f"no chromium at {CHROMIUM} (apt-get install chromium; .ci/run does)",
    ),
    pytest.mark.skipif(async_playwright is None, reason="playwright is not installed (dev extra)"),
    # One database is enough in the browser; test_dashboard_http.py covers both.
    pytest.mark.parametrize("database", ["sqlite"], indirect=True),
]
KEY = "browser-test-demo-key"


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    args = ["--disable-gpu", "--disable-dev-shm-usage"]
    if os.geteuid() == 0:
        args.append("--no-sandbox")  # chromium refuses its sandbox as root (CI containers)
    async with async_playwright() as pw:
        b = await pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=args)
        yield b
        await b.close()


@pytest.fixture
def site(ctx: Any, tmp_path: Path) -> Any:
    org = ds.seed(ctx, tmp_path)
    # No bot token (as in the console): the per-process demo key signs initData.
    ctx.extras[DEMO_KEY] = KEY
    with serve_in_thread(build_web_app(ctx)) as url:
        yield url, org


def launch_url(base: str, init: str, theme: dict[str, str] | None = None, query: str = "") -> str:
    frag = f"tgWebAppData={quote(init, safe='')}&tgWebAppVersion=8.0&tgWebAppPlatform=android"
    if theme:
        frag += "&tgWebAppThemeParams=" + quote(json.dumps(theme), safe="")
    return f"{base}/app/{query}#{frag}"


async def open_as(
    browser: Browser, ctx: Any, base: str, uid: int, query: str = "", **kw: Any
) -> Page:
    page = await browser.new_page(viewport={"width": 390, "height": 844}, locale="zh-CN")
    init = make_init_data(KEY, uid, ctx.clock.now() - kw.pop("age", timedelta(0)))
    await page.goto(launch_url(base, init, query=query, **kw))
    await page.wait_for_selector("section[data-page]")
    return page


async def nav(page: Page, label: str, name: str) -> str:
    await page.click(f"nav.tabs a:text-is('{label}')")
    await page.wait_for_selector(f"nav.tabs a.on:text-is('{label}')")
    return await page.get_attribute("section[data-page]", "data-page") or ""


async def test_each_page_loads_for_its_roles(ctx: Any, site: Any, browser: Browser) -> None:
    base, _ = site
    expect = {
        ds.LEAD: [("我的", "person"), ("团队", "team")],
        ds.HR_SH: [("团队", "team"), ("分公司对比", "branches"), ("离职风险", "risk")],
        ds.TRAINER: [("培训", "training")],
        ds.ADMIN: [
            ("团队", "team"),
            ("分公司对比", "branches"),
            ("培训", "training"),
            ("离职风险", "risk"),
        ],
        ds.COLLECTOR: [("我的", "person")],
    }
    for uid, pages in expect.items():
        page = await open_as(browser, ctx, base, uid)
        assert await page.get_attribute("section[data-page]", "data-page") == "home"
        tabs = await page.locator("nav.tabs a").all_inner_texts()
        assert [t.strip() for t in tabs] == [p[0] for p in pages], uid
        for label, name in pages:
            assert await nav(page, label, name) == name
            assert await page.locator(".refused").count() == 0
        # The signed data left the address bar once read.
        assert "tgWebAppData" not in page.url
        await page.close()


async def test_forged_and_stale_init_data_are_refused(
    ctx: Any, site: Any, browser: Browser
) -> None:
    base, _ = site
    page = await browser.new_page()
    init = make_init_data(KEY, ds.COLLECTOR, ctx.clock.now()).replace(
        f"%22id%22%3A{ds.COLLECTOR}", f"%22id%22%3A{ds.ADMIN}"
    )
    await page.goto(launch_url(base, init, query="?v=risk"))
    await page.wait_for_selector("section.refused")
    assert await page.get_attribute("section.refused", "data-status") == "401"
    assert "校验失败" in await page.inner_text("main")
    assert "离职风险 ·" not in await page.inner_text("main")
    stale = await open_as(browser, ctx, base, ds.ADMIN, "?v=risk", age=timedelta(days=3))
    assert await stale.get_attribute("section.refused", "data-status") == "401"
    assert "过期" in await stale.inner_text("main")
    # Opened outside Telegram: no initData at all.
    bare = await browser.new_page()
    await bare.goto(f"{base}/app/?v=team")
    await bare.wait_for_selector("section.refused")
    assert "从 Telegram" in await bare.inner_text("main")


async def test_each_role_sees_only_its_scope(ctx: Any, site: Any, browser: Browser) -> None:
    base, org = site
    lead = await open_as(browser, ctx, base, ds.LEAD, "?v=team")
    text = await lead.inner_text("main")
    assert "张三" in text and "孙八" not in text  # SH-1 only, not SH-2
    assert await lead.locator("td .veto").count() >= 1 and "n/a" in text
    await lead.click("th a:text-is('总分')")
    await lead.wait_for_selector("table.board[data-sort=total]")
    assert "sort=total" in lead.url
    other = await open_as(browser, ctx, base, ds.LEAD, f"?v=team&team={org.teams['SH-2']}")
    assert await other.get_attribute("section.refused", "data-status") == "403"
    me = await open_as(browser, ctx, base, ds.COLLECTOR, "?v=person")
    assert "C0001" in await me.inner_text("section[data-page=person]")
    assert await me.locator("svg.chart").count() == 1
    peek = await open_as(browser, ctx, base, ds.COLLECTOR, f"?v=person&e={org.ids['C0002']}")
    assert await peek.get_attribute("section.refused", "data-status") == "403"
    hr = await open_as(browser, ctx, base, ds.HR_SH, "?v=branches")
    assert "JKT" not in await hr.inner_text("main")


async def test_theme_from_telegram(ctx: Any, site: Any, browser: Browser) -> None:
    base, _ = site
    dark = {"bg_color": "#101820", "text_color": "#eeeeee", "button_color": "#3390ec"}
    page = await open_as(browser, ctx, base, ds.ADMIN, "?v=team", theme=dark)
    bg = await page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert bg == "rgb(16, 24, 32)"
    assert await page.evaluate("document.documentElement.dataset.scheme") == "dark"


async def test_hr_buttons_change_the_chat_buttons_records(
    ctx: Any, site: Any, browser: Browser, harness: Harness
) -> None:
    base, org = site
    page = await open_as(browser, ctx, base, ds.HR_SH, "?v=risk")
    card = page.locator("li[data-employee=C0004]")
    await card.locator("button[data-act=snooze]").click()
    await card.locator(".done").wait_for()
    with ctx.db.session() as s:
        [act] = s.execute(select(RiskAction)).scalars().all()
        assert (act.action, act.employee_id, act.by_id) == (
            "snooze",
            org.ids["C0004"],
            org.ids["H0001"],
        )
    # The chat's alert button for the same person, pressed in the SH HR chat: its reply lists
    # the dashboard's snooze among the actions taken: one set of records.
    await harness.chat.app.bot.send_message(-100500, "alert")
    msg = harness.api.sent(-100500)[-1]
    msg.reply_markup = {
        "inline_keyboard": [[{"text": "c", "callback_data": f"hrr:c:{org.ids['C0004']}"}]]
    }
    await harness.chat.tap(ds.HR_SH, msg, "c")
    done = harness.api.last(-100500).text
    assert "暂缓" in done and "已联系" in done
    with ctx.db.session() as s:
        acts = s.execute(select(RiskAction).order_by(RiskAction.id)).scalars().all()
        assert [a.action for a in acts] == ["snooze", "contacted"]
