"""The dashboard over real HTTP: initData checks on every route, the chat's scopes per role,
audit rows for refusals, honest veto / n/a, and the HR actions."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from bot.dashboard import auth
from bot.dashboard.pages import PAGES
from bot.dashboard.routes import INIT_HEADER
from bot.web import build_web_app
from db.models import AuditLog, RiskAction, RiskAlertState
from tests import dashboard_seed as ds
from tests.servers import serve_in_thread


@pytest.fixture
def web(ctx: Any, tmp_path: Path) -> Iterator[tuple[httpx.Client, ds.Org]]:
    org = ds.seed(ctx, tmp_path)
    ctx.settings = ctx.settings.model_copy(update={"telegram_bot_token": ds.TOKEN})
    with serve_in_thread(build_web_app(ctx)) as url, httpx.Client(base_url=url) as client:
        yield client, org


def get(client: httpx.Client, ctx: Any, uid: int, path: str, **params: Any) -> httpx.Response:
    return client.get(path, params=params, headers={INIT_HEADER: ds.init_data(ctx, uid)})


def denied(ctx: Any) -> list[tuple[str, str]]:
    with ctx.db.session() as s:
        rows = s.execute(select(AuditLog).where(AuditLog.outcome == "denied")).scalars()
        return [(r.action, r.detail) for r in rows]


# --- initData -------------------------------------------------------------------------------


def test_init_data_signature_freshness_and_shape(clock: Any) -> None:
    now = clock.now()
    good = auth.make_init_data(ds.TOKEN, 42, now)
    assert auth.validate(good, ds.TOKEN, now, 3600).telegram_user_id == 42
    with pytest.raises(auth.InitDataError, match="bad_signature"):
        auth.validate(good, "123456:another-bot", now, 3600)
    with pytest.raises(auth.InitDataError, match="bad_signature"):
        auth.validate(good.replace("%22id%22%3A42", "%22id%22%3A43"), ds.TOKEN, now, 3600)
    with pytest.raises(auth.InitDataError, match="stale"):
        auth.validate(good, ds.TOKEN, now + timedelta(seconds=3601), 3600)
    with pytest.raises(auth.InitDataError, match="future"):
        auth.validate(good, ds.TOKEN, now - timedelta(minutes=5), 3600)
    for bad, reason in [("", "missing"), ("a=1&a=2", "malformed"), ("%%%", "malformed")]:
        with pytest.raises(auth.InitDataError, match=reason):
            auth.validate(bad, ds.TOKEN, now, 3600)
    with pytest.raises(auth.InitDataError, match="too_long"):
        auth.validate("x" * 9000, ds.TOKEN, now, 3600)
    # Signed but without a user: refused as malformed, not a crash.
    unsigned_user = auth.sign({"auth_date": str(int(now.timestamp()))}, ds.TOKEN)
    with pytest.raises(auth.InitDataError, match="malformed"):
        auth.validate(unsigned_user, ds.TOKEN, now, 3600)


ROUTES = [f"/app/p/{p}" for p in PAGES] + [f"/app/api/{p}" for p in PAGES]


def test_every_route_refuses_missing_forged_stale_and_unbound(ctx: Any, web: Any) -> None:
    client, org = web
    stale = ds.init_data(ctx, ds.ADMIN, age=timedelta(days=2))
    cases = [
        ({}, 401, "initData missing"),
        ({INIT_HEADER: ds.forged(ctx, ds.COLLECTOR, ds.ADMIN)}, 401, "initData bad_signature"),
        (
            {INIT_HEADER: ds.init_data(ctx, ds.ADMIN, token="1:other")},
            401,
            "initData bad_signature",
        ),
        ({INIT_HEADER: stale}, 401, "initData stale"),
        ({INIT_HEADER: ds.init_data(ctx, ds.STRANGER)}, 403, "not bound"),
    ]
    for path in ROUTES:
        for headers, status, detail in cases:
            r = client.get(path, headers=headers)
            assert r.status_code == status, (path, detail, r.text)
            assert "Traceback" not in r.text and "C0001" not in r.text
            if path.startswith("/app/api/"):
                assert r.json()["message"]  # a sentence for people, not just a code
    for path in [f"/app/api/risk/{org.ids['C0001']}/snooze"]:
        for headers, status, _ in cases:
            assert client.post(path, headers=headers).status_code == status
    got = denied(ctx)
    per_route = len(cases)
    assert len(got) == per_route * (len(ROUTES) + 1)
    assert {d for _, d in got} == {c[2] for c in cases}
    with ctx.db.session() as s:
        assert s.execute(select(RiskAction)).scalars().all() == []


def test_bad_parameters_are_a_clear_400(ctx: Any, web: Any) -> None:
    client, _ = web
    for params in ({"team": "x1"}, {"sort": "drop table"}, {"team": "9" * 20}):
        r = get(client, ctx, ds.ADMIN, "/app/api/team", **params)
        assert r.status_code == 400 and r.json()["error"] == "bad_param", params
    assert get(client, ctx, ds.ADMIN, "/app/api/nope").status_code == 404
    assert get(client, ctx, ds.ADMIN, "/app/api/person", e="999999").status_code == 404


def test_non_ascii_digits_in_ids_are_a_clear_400(ctx: Any, web: Any) -> None:
    """`str.isdigit()` is true for superscripts and other scripts' digits, which `int()`
    rejects (a 500) or reads (١٢ = 12): an id is ASCII digits only, else a clear 400."""
    client, _ = web
    for page, name in (("team", "team"), ("person", "e")):
        for raw in ("²", "¹²", "١٢", "１２"):
            r = get(client, ctx, ds.ADMIN, f"/app/api/{page}", **{name: raw})
            assert r.status_code == 400, (page, raw, r.status_code, r.text[:200])
            assert r.json()["error"] == "bad_param"
            h = get(client, ctx, ds.ADMIN, f"/app/p/{page}", **{name: raw})
            assert h.status_code == 400 and "Traceback" not in h.text


def test_ids_beyond_the_id_columns_are_refused_not_a_500(ctx: Any, web: Any) -> None:
    """Ids are INTEGER columns: a larger number was a 500 (PostgreSQL: "integer out of range";
    SQLite: OverflowError), with the SQL in the log. A page parameter is a 400, an action on
    such an id a 404, and nothing is recorded."""
    client, _ = web
    for page, name in (("team", "team"), ("person", "e")):
        for raw in ("2147483648", "999999999999"):
            r = get(client, ctx, ds.ADMIN, f"/app/api/{page}", **{name: raw})
            assert r.status_code == 400, (page, raw, r.status_code, r.text[:200])
            assert r.json()["error"] == "bad_param"
    headers = {INIT_HEADER: ds.init_data(ctx, ds.ADMIN)}
    for eid in ("2147483648", "9" * 30):
        r = client.post(f"/app/api/risk/{eid}/snooze", headers=headers)
        assert r.status_code == 404, (eid, r.status_code, r.text[:200])
        assert r.json()["message"] and "Traceback" not in r.text
    with ctx.db.session() as s:
        assert s.execute(select(RiskAction)).scalars().all() == []


# Which page each role may open: the chat commands' scopes.
MATRIX = {
    ds.LEAD: {"home", "team", "person"},
    ds.HR_SH: {"home", "team", "branches", "person", "risk"},
    ds.TRAINER: {"home", "training", "person"},
    ds.ADMIN: {"home", "team", "branches", "person", "training", "risk"},
    ds.COLLECTOR: {"home", "person"},
}


def test_role_matrix_on_every_page(ctx: Any, web: Any) -> None:
    client, _ = web
    for uid, allowed in MATRIX.items():
        for page in PAGES:
            for kind in ("p", "api"):
                r = get(client, ctx, uid, f"/app/{kind}/{page}")
                want = 200 if page in allowed else 403
                assert r.status_code == want, (uid, page, kind, r.text[:200])
    actions = {a for a, d in denied(ctx)}
    assert {"web:branches", "web:training", "web:risk", "web:team"} <= actions


def test_team_lead_sees_only_own_team(ctx: Any, web: Any) -> None:
    client, org = web
    board = get(client, ctx, ds.LEAD, "/app/api/team").json()
    assert [t["code"] for t in board["teams"]] == ["SH-1"]
    nos = {r["employee_no"] for r in board["board"]["rows"]}
    assert "C0001" in nos and "C0006" not in nos and "J0001" not in nos
    r = get(client, ctx, ds.LEAD, "/app/api/team", team=str(org.teams["SH-2"]))
    assert r.status_code == 403
    assert get(client, ctx, ds.LEAD, "/app/api/person", e=str(org.ids["C0006"])).status_code == 403
    assert get(client, ctx, ds.LEAD, "/app/api/person", e=str(org.ids["C0002"])).status_code == 200
    assert ("web:team", "team SH-2 out of scope") in denied(ctx)
    html = get(client, ctx, ds.LEAD, "/app/p/team").text
    assert "孙八" not in html and "张三" in html


def test_hr_sees_own_branch_admin_sees_all(ctx: Any, web: Any) -> None:
    client, org = web
    hr = get(client, ctx, ds.HR_SH, "/app/api/branches").json()
    assert [b["branch"] for b in hr["branches"]] == ["SH"]
    assert {t["code"] for t in get(client, ctx, ds.HR_SH, "/app/api/team").json()["teams"]} == {
        "SH-1",
        "SH-2",
    }
    r = get(client, ctx, ds.HR_SH, "/app/api/team", team=str(org.teams["JKT-1"]))
    assert r.status_code == 403
    assert get(client, ctx, ds.HR_SH, "/app/api/person", e=str(org.ids["J0001"])).status_code == 403
    admin = get(client, ctx, ds.ADMIN, "/app/api/branches").json()
    assert [b["branch"] for b in admin["branches"]] == ["JKT", "SH"]
    risk_sh = get(client, ctx, ds.HR_SH, "/app/api/risk").json()
    assert [v["branch"] for v in risk_sh["views"]] == ["SH branch"]
    risk_all = get(client, ctx, ds.ADMIN, "/app/api/risk").json()
    assert {v["branch"] for v in risk_all["views"]} == {"SH branch", "JKT branch"}


def test_collector_sees_only_own_card(ctx: Any, web: Any) -> None:
    client, org = web
    me = get(client, ctx, ds.COLLECTOR, "/app/api/person").json()
    assert me["employee_no"] == "C0001" and me["card"]["total"] is not None
    assert len(me["history"]) == 6 and me["plan_days"] and "training" in me
    # The same points as the chat's trend chart (coaching.scoring.service.trend_points).
    from coaching.scoring import config_for
    from coaching.scoring import service as svc

    _, pts = ctx.call(svc.trend_points, config_for(ctx.settings), org.ids["C0001"], ctx.clock.now())
    assert [(p.month.strftime("%Y-%m"), p.total, p.team_average, p.vetoed) for p in pts] == [
        (h["month"], h["total"], h["team_average"], h["vetoed"]) for h in me["history"]
    ]
    for other in ("C0002", "C0003", "L0001", "J0001"):
        r = get(client, ctx, ds.COLLECTOR, "/app/api/person", e=str(org.ids[other]))
        assert r.status_code == 403, other


def test_trainer_sees_training_not_scores(ctx: Any, web: Any) -> None:
    client, org = web
    p = get(client, ctx, ds.TRAINER, "/app/api/person", e=str(org.ids["C0001"])).json()
    assert "card" not in p and "history" not in p and "training" in p and "drills" in p
    assert (
        get(client, ctx, ds.TRAINER, "/app/api/person", e=str(org.ids["J0001"])).status_code == 403
    )
    st = get(client, ctx, ds.TRAINER, "/app/api/training").json()
    assert st["branch"] == "SH" and st["completion_flag"] == 80 and st["question_flag"] == 70
    assert get(client, ctx, ds.TRAINER, "/app/api/training", all="1").json()["branch"] == "*"


def test_veto_and_na_shown_honestly(ctx: Any, web: Any) -> None:
    client, _ = web
    rows = {
        r["employee_no"]: r
        for r in get(client, ctx, ds.LEAD, "/app/api/team", sort="total").json()["board"]["rows"]
    }
    assert rows["C0002"]["vetoed"] and rows["C0002"]["veto_reason"]
    assert rows["C0003"]["components"]["recovery"]["score"] is None
    assert rows["C0003"]["components"]["recovery"]["na_reason"]
    html = get(client, ctx, ds.LEAD, "/app/p/team").text
    assert "否决" in html and "n/a" in html
    ordered = get(client, ctx, ds.LEAD, "/app/api/team", sort="c:recovery").json()["board"]["rows"]
    scores = [r["components"]["recovery"]["score"] for r in ordered]
    known = [v for v in scores if v is not None]
    assert known == sorted(known, reverse=True) and scores[-1] is None


def test_english_for_an_english_speaker(ctx: Any, web: Any) -> None:
    client, org = web
    from coaching.people import set_locale

    ctx.call(set_locale, org.ids["L0001"], "en")
    html = get(client, ctx, ds.LEAD, "/app/p/team").text
    assert 'data-lang="en"' in html and "Rank" in html and "排名" not in html


def test_risk_actions_change_the_chat_buttons_records(ctx: Any, web: Any) -> None:
    client, org = web
    emp = org.ids["C0004"]  # hired March 16: a tenure risk
    h = {INIT_HEADER: ds.init_data(ctx, ds.HR_SH)}
    assert client.post(f"/app/api/risk/{emp}/snooze", headers=h).json() == {"ok": True}
    assert client.post(f"/app/api/risk/{emp}/contacted", headers=h).status_code == 200
    assert client.post(f"/app/api/risk/{emp}/explode", headers=h).status_code == 404
    # Out of scope: JKT's person for SH's HR; a collector; a team lead.
    assert client.post(f"/app/api/risk/{org.ids['J0001']}/snooze", headers=h).status_code == 403
    for uid in (ds.COLLECTOR, ds.LEAD, ds.TRAINER):
        hh = {INIT_HEADER: ds.init_data(ctx, uid)}
        assert client.post(f"/app/api/risk/{emp}/not_risk", headers=hh).status_code == 403
    with ctx.db.session() as s:
        acts = s.execute(select(RiskAction).order_by(RiskAction.id)).scalars().all()
        assert [(a.action, a.employee_id, a.by_id) for a in acts] == [
            ("snooze", emp, org.ids["H0001"]),
            ("contacted", emp, org.ids["H0001"]),
        ]
        st = s.execute(select(RiskAlertState)).scalars().one()
        assert st.employee_id == emp and st.snooze_until is not None
        got = {(a.action, a.outcome) for a in s.execute(select(AuditLog)).scalars()}
    assert ("hr:risk_action", "allowed") in got and ("hr:risk_action", "denied") in got
    assert ("web:risk_action", "denied") in got


def test_shell_and_static_need_no_login_and_hold_no_data(ctx: Any, web: Any) -> None:
    client, _ = web
    shell = client.get("/app/")
    assert shell.status_code == 200 and "static/app.js" in shell.text
    assert "script-src 'self'" in shell.headers["content-security-policy"]
    assert "张三" not in shell.text
    assert client.get("/app").status_code in (200, 308)
    assert client.get("/app/static/app.js").status_code == 200
    assert client.get("/app/static/../settings.py").status_code == 404
    assert client.get("/app/demo/anything").status_code == 404  # a real token: no demo login


def test_cached_pages_keep_scope_and_audit(ctx: Any, web: Any) -> None:
    client, org = web
    assert ctx.settings.webapp_cache_s > 0  # the default: pages are cached
    for _ in range(2):
        assert get(client, ctx, ds.HR_SH, "/app/api/risk").status_code == 200
    sh_team = str(org.teams["SH-1"])
    assert get(client, ctx, ds.HR_SH, "/app/api/team", team=sh_team).status_code == 200
    # The same team, now cached, for someone outside its scope: still refused.
    assert get(client, ctx, ds.HR_JKT, "/app/api/team", team=sh_team).status_code == 403
    assert get(client, ctx, ds.JKT_COLLECTOR, "/app/api/team", team=sh_team).status_code == 403
    with ctx.db.session() as s:
        views = s.execute(select(AuditLog).where(AuditLog.action == "hr:risk_view")).scalars()
        assert len(list(views)) == 2  # the cached answer is audit-logged too
