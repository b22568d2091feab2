"""The dashboard's precomputed page data (bot/dashboard/snapshots.py, the dashboard_precompute
job): the job refreshes a branch's parts only when something changed, a page served from
them equals the same page computed now, the chat's scopes still hold, an import marks them
stale (and the page says so), and HR's actions show at once on a precomputed risk list."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from bot.dashboard import pages, snapshots
from bot.dashboard.routes import INIT_HEADER, _load_viewer
from bot.jobs import dashboard as job
from bot.jobs.registry import get_job
from bot.jobs.runs import run_job
from bot.web import build_web_app
from coaching.calendar import all_branches
from db.models import Call, Case, DashboardSnapshot, Employee, RiskAction
from tests import dashboard_seed as ds
from tests.ingest_helpers import CASES_ZH, write
from tests.ingest_helpers import run as run_import
from tests.servers import serve_in_thread


@pytest.fixture
def org(ctx: Any, tmp_path: Path) -> ds.Org:
    o = ds.seed(ctx, tmp_path)
    ctx.settings = ctx.settings.model_copy(update={"telegram_bot_token": ds.TOKEN})
    return o


@pytest.fixture
def web(ctx: Any, org: ds.Org) -> Iterator[httpx.Client]:
    with serve_in_thread(build_web_app(ctx)) as url, httpx.Client(base_url=url) as client:
        yield client


def branches(ctx: Any) -> dict[str, Any]:
    return {b.code: b for b in ctx.call(all_branches)}


def precompute_all(ctx: Any) -> dict[str, str]:
    now = ctx.clock.now()
    return {code: job.precompute(ctx, b, now) for code, b in branches(ctx).items()}


def parts(ctx: Any) -> dict[tuple[int | None, str], Any]:
    with ctx.db.session() as s:
        rows = s.execute(select(DashboardSnapshot)).scalars().all()
        return {(r.branch_id, r.part): (r.computed_at, r.stale) for r in rows}


def get(client: httpx.Client, ctx: Any, uid: int, path: str, **params: Any) -> httpx.Response:
    return client.get(path, params=params, headers={INIT_HEADER: ds.init_data(ctx, uid)})


def test_the_job_refreshes_a_branch_only_when_something_changed(ctx: Any, org: ds.Org) -> None:
    first = precompute_all(ctx)
    assert all("parts in" in r and "no data yet" in r for r in first.values()), first
    got = parts(ctx)
    bs = branches(ctx)
    sh, jkt = bs["SH"].id, bs["JKT"].id
    for t in ("SH-1", "SH-2"):
        assert (sh, f"team:{org.teams[t]}") in got
        assert (sh, f"people:{org.teams[t]}") in got
    for p in ("branches", "training", "risk", "meta"):
        assert (sh, p) in got and (jkt, p) in got
    # The all-branch parts come with the first branch by code (JKT), once.
    assert (None, "training:*") in got and (None, "risk:*") in got
    assert precompute_all(ctx) == {"JKT": "current", "SH": "current"}

    # New rows in an input table: the next check recomputes (once the data is MIN_AGE old).
    ctx.clock.advance(timedelta(minutes=1))
    with ctx.db.session() as s:
        case = s.execute(select(Case).where(Case.collector_id == org.ids["C0001"])).scalars()
        k = next(iter(case))
        s.add(
            Call(
                call_ref="NEW-1",
                case_id=k.id,
                collector_id=org.ids["C0001"],
                debtor_key=k.debtor_key,
                started_at=ctx.clock.now() - timedelta(hours=1),
                duration_s=60,
                outcome="contacted",
            )
        )
    assert job.precompute(ctx, bs["SH"], ctx.clock.now()) == "current"
    ctx.clock.advance(snapshots.MIN_AGE - timedelta(minutes=1))
    assert "inputs changed" in job.precompute(ctx, bs["SH"], ctx.clock.now())
    assert parts(ctx)[(sh, "meta")][0] == ctx.clock.now()

    # Nothing new, but older than COACHBOT_WEBAPP_REFRESH_S: recomputed all the same.
    ctx.clock.advance(timedelta(seconds=ctx.settings.webapp_refresh_s - 30))
    assert job.precompute(ctx, bs["SH"], ctx.clock.now()) == "current"
    ctx.clock.advance(timedelta(seconds=60))
    assert "max age" in job.precompute(ctx, bs["SH"], ctx.clock.now())


def test_the_scheduler_claims_each_check_once(ctx: Any, org: ds.Org) -> None:
    spec = get_job("dashboard_precompute")
    b = branches(ctx)["SH"]
    assert "parts in" in (run_job(ctx, spec, b) or "")
    assert run_job(ctx, spec, b) is None  # the same local minute: claimed already
    ctx.clock.advance(timedelta(minutes=1))
    assert run_job(ctx, spec, b) == "current"


CASES = [
    # (Telegram user, page, params)
    (ds.LEAD, "team", {}),
    (ds.LEAD, "team", {"sort": "total"}),
    (ds.LEAD, "team", {"sort": "c:recovery"}),
    (ds.LEAD, "team", {"sort": "name"}),
    (ds.HR_SH, "team", {"team": "SH-2"}),
    (ds.HR_SH, "branches", {}),
    (ds.ADMIN, "branches", {}),
    (ds.COLLECTOR, "person", {}),
    (ds.VETOED, "person", {}),
    (ds.LEAD, "person", {"e": "C0004"}),
    (ds.TRAINER, "person", {"e": "C0002"}),
    (ds.JKT_COLLECTOR, "person", {}),
    (ds.TRAINER, "training", {}),
    (ds.TRAINER, "training", {"all": "1"}),
    (ds.HR_SH, "risk", {}),
    (ds.HR_JKT, "risk", {}),
    (ds.ADMIN, "risk", {}),
]


def _plain(x: Any) -> Any:
    """As the JSON API sends it (tuples are lists, dates strings)."""
    return json.loads(json.dumps(x, default=str))


def test_pages_from_the_snapshot_equal_the_same_pages_computed_now(ctx: Any, org: ds.Org) -> None:
    from bot.dashboard.routes import routes  # noqa: F401 (the Env the routes build)
    from bot.jobs.risk import config as risk_config
    from coaching.scoring import config_for

    precompute_all(ctx)
    now = ctx.clock.now()
    kw = {
        "scoring": config_for(ctx.settings),
        "risk": risk_config(ctx),
        "now": now,
        "question_hours": ctx.settings.training_question_hours,
    }
    stored, live = pages.Env(**kw), pages.Env(**kw, snapshots=False)
    for uid, name, params in CASES:
        p = dict(params)
        if "team" in p:
            p["team"] = str(org.teams[p["team"]])
        if "e" in p:
            p["e"] = str(org.ids[p["e"]])
        with ctx.db.session() as s:
            v = _load_viewer(s, uid, now)
            assert v is not None
            a = pages.PAGES[name](s, v, stored, p)
            b = pages.PAGES[name](s, v, live, p)
        ua, ub = a.pop("updated"), b.pop("updated")
        if ua is not None:  # pages with scores, training or risk: the stored parts served
            assert ua["live"] is False and ub["live"] is True, (uid, name, params)
        assert _plain(a) == _plain(b), (uid, name, params)


def test_scopes_hold_on_precomputed_data(ctx: Any, org: ds.Org, web: httpx.Client) -> None:
    precompute_all(ctx)
    sh1, sh2 = str(org.teams["SH-1"]), str(org.teams["SH-2"])
    r = get(web, ctx, ds.LEAD, "/app/api/team")
    assert r.status_code == 200 and r.json()["board"]["team"]["code"] == "SH-1"
    assert r.json()["updated"]["live"] is False
    assert [t["code"] for t in r.json()["teams"]] == ["SH-1"]
    assert get(web, ctx, ds.LEAD, "/app/api/team", team=sh2).status_code == 403
    assert get(web, ctx, ds.HR_JKT, "/app/api/team", team=sh1).status_code == 403
    assert get(web, ctx, ds.COLLECTOR, "/app/api/team", team=sh1).status_code == 403
    # A collector: their own card, nobody else's.
    me = get(web, ctx, ds.COLLECTOR, "/app/api/person").json()
    assert me["employee_no"] == "C0001" and me["card"]["employee_no"] == "C0001"
    other = str(org.ids["C0002"])
    assert get(web, ctx, ds.COLLECTOR, "/app/api/person", e=other).status_code == 403
    # A trainer: a trainee's training and drills, not the precomputed score.
    seen = get(web, ctx, ds.TRAINER, "/app/api/person", e=other).json()
    assert "card" not in seen and "history" not in seen and "training" in seen
    # HR: their branch's comparison and risk only; the admin every branch.
    assert [b["branch"] for b in get(web, ctx, ds.HR_SH, "/app/api/branches").json()["branches"]]
    assert get(web, ctx, ds.HR_SH, "/app/api/branches").json()["branches"][0]["branch"] == "SH"
    views = get(web, ctx, ds.HR_SH, "/app/api/risk").json()["views"]
    assert len(views) == 1 and all(
        r["employee_no"] not in ("J0001", "J0002") for v in views for r in v["rows"]
    )
    assert len(get(web, ctx, ds.ADMIN, "/app/api/risk").json()["views"]) == 2
    assert get(web, ctx, ds.LEAD, "/app/api/risk").status_code == 403
    assert get(web, ctx, ds.COLLECTOR, "/app/api/training").status_code == 403


def test_hr_actions_show_at_once_on_the_precomputed_list(
    ctx: Any, org: ds.Org, web: httpx.Client
) -> None:
    precompute_all(ctx)
    emp = org.ids["C0004"]  # hired March 16: a tenure risk

    def row() -> dict[str, Any]:
        views = get(web, ctx, ds.HR_SH, "/app/api/risk").json()["views"]
        return next(r for v in views for r in v["rows"] if r["employee_id"] == emp)

    assert row()["taken"] == []
    h = {INIT_HEADER: ds.init_data(ctx, ds.HR_SH)}
    assert web.post(f"/app/api/risk/{emp}/snooze", headers=h).json() == {"ok": True}
    [taken] = row()["taken"]
    assert taken["action"] == "snooze" and taken["by"] == "人事" and taken["until"]
    html = get(web, ctx, ds.HR_SH, "/app/p/risk").text
    assert f"暂缓至 {taken['until']}" in html and "更新于" in html
    # The same records the chat's alert button writes.
    with ctx.db.session() as s:
        [act] = s.execute(select(RiskAction)).scalars().all()
        assert (act.action, act.employee_id, act.by_id) == ("snooze", emp, org.ids["H0001"])


def test_an_import_marks_the_pages_stale_until_the_job_recomputes(
    ctx: Any, org: ds.Org, web: httpx.Client, tmp_path: Path
) -> None:
    precompute_all(ctx)
    html = get(web, ctx, ds.LEAD, "/app/p/team").text
    assert "更新于 12:00" in html and "正在重新计算" not in html  # Shanghai noon
    ctx.clock.advance(timedelta(minutes=3))
    rep = run_import(ctx, "cases", write(tmp_path / "cases.csv", CASES_ZH, "gbk"))
    assert rep.ok and rep.inserted, rep.errors
    assert all(stale for _, stale in parts(ctx).values())
    r = get(web, ctx, ds.LEAD, "/app/api/team").json()
    assert r["updated"]["stale"] is True and r["updated"]["local"] == "12:00"
    assert "正在重新计算" in get(web, ctx, ds.LEAD, "/app/p/team").text
    assert "data imported" in job.precompute(ctx, branches(ctx)["SH"], ctx.clock.now())
    r = get(web, ctx, ds.LEAD, "/app/api/team").json()
    assert r["updated"] == {**r["updated"], "stale": False, "local": "12:03", "live": False}


def test_english_and_a_page_before_the_first_run(ctx: Any, org: ds.Org, web: httpx.Client) -> None:
    # No precomputed data yet (a new installation): computed now, and said so.
    r = get(web, ctx, ds.LEAD, "/app/api/team").json()
    assert r["updated"]["live"] is True
    assert "刚刚计算" in get(web, ctx, ds.LEAD, "/app/p/team").text
    # Reused from the page cache a little later: still the time it was computed.
    ctx.clock.advance(timedelta(seconds=30))
    assert get(web, ctx, ds.LEAD, "/app/api/team").json()["updated"] == r["updated"]
    precompute_all(ctx)
    with ctx.db.session() as s:
        s.get(Employee, org.ids["L0001"]).locale = "en"  # type: ignore[union-attr]
    html = get(web, ctx, ds.LEAD, "/app/p/team").text
    assert "Updated 12:00" in html and "更新于" not in html


def test_an_import_marked_while_the_parts_are_computed_leaves_them_stale(
    ctx: Any, org: ds.Org, web: httpx.Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The computation may have read the data before the import's commit: replacing the parts
    must not wipe the import's mark, or the page says "current" over older data."""
    from coaching.ingest import engine

    precompute_all(ctx)
    ctx.clock.advance(timedelta(minutes=3))
    compute = snapshots.compute

    def compute_then_an_import_lands(*a: Any, **kw: Any) -> Any:
        out = compute(*a, **kw)
        engine._mark_dashboard_stale(ctx.db)  # another connection, committed meanwhile
        return out

    monkeypatch.setattr(snapshots, "compute", compute_then_an_import_lands)
    sh = branches(ctx)["SH"]
    ctx.call(snapshots.refresh, sh, ctx.clock.now(), job.inputs(ctx), False)
    mine = {k: v for k, v in parts(ctx).items() if k[0] == sh.id}
    assert mine and all(stale for _, stale in mine.values())
    assert get(web, ctx, ds.LEAD, "/app/api/team").json()["updated"]["stale"] is True
    monkeypatch.setattr(snapshots, "compute", compute)
    ctx.clock.advance(timedelta(minutes=3))
    assert "data imported" in job.precompute(ctx, sh, ctx.clock.now())
    mine = {k: v for k, v in parts(ctx).items() if k[0] == sh.id}
    assert not any(stale for _, stale in mine.values())  # computed after it: current again
