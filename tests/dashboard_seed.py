"""A small organisation for the dashboard tests: two branches (SH, JKT), two SH teams, a
vetoed collector and an n/a one (tests/scoring_fixtures.py), and one bound person per role.
initData is signed the way Telegram signs it (bot.dashboard.auth.sign)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bot.dashboard.auth import make_init_data
from tests import factories as f
from tests import scoring_fixtures as sf
from tests.hr_seed import only

TOKEN = "123456:TEST-dashboard-token"
LAST_DAY = datetime(2026, 3, 31, 4, 0, tzinfo=UTC)  # Shanghai noon, end of March
# Telegram user ids of the people who open the dashboard.
LEAD, HR_SH, HR_JKT, TRAINER, ADMIN, COLLECTOR, VETOED, OTHER_TEAM, JKT_COLLECTOR = (
    3001,
    2001,
    2002,
    4001,
    5001,
    1001,
    1002,
    1006,
    1101,
)
STRANGER = 9999


@dataclass
class Org:
    ids: dict[str, int]  # employee_no -> employee id
    teams: dict[str, int]  # team code -> id


def seed(ctx: Any, tmp_path: Path) -> Org:
    ctx.clock.set(LAST_DAY)
    ctx.settings = ctx.settings.model_copy(
        update={"scoring_config": str(sf.write_config(tmp_path))}
    )
    ctx.extras["risk_config"] = only(tenure=30)
    w = sf.seed(ctx)  # binds C0001 1001, C0002 1002, L0001 3001, H0001 2001, C0006 1006
    jkt = sf.seed_jkt(ctx)
    now = ctx.clock.now()
    with ctx.db.session() as s:
        from db.models import Branch, Employee, Team

        sh = s.query(Branch).filter_by(code="SH").one()
        jb = s.query(Branch).filter_by(code="JKT").one()
        t = f.employee(s, "T0001", sh, "trainer", name="培训甲")
        a = f.employee(s, "A0001", sh, "admin", "hr", name="管理员")
        h2 = f.employee(s, "H0002", jb, "hr", name="人事乙")
        f.bind(s, t, TRAINER, now)
        f.bind(s, a, ADMIN, now)
        f.bind(s, h2, HR_JKT, now)
        f.bind(s, s.get(Employee, jkt["J0001"]), JKT_COLLECTOR, now)
        ids = {e.employee_no: e.id for e in s.query(Employee).all()}
        teams = {tm.code: tm.id for tm in s.query(Team).all()}
    assert w.ids["C0001"] == ids["C0001"]
    return Org(ids, teams)


def init_data(ctx: Any, uid: int, *, age: timedelta = timedelta(0), token: str = TOKEN) -> str:
    return make_init_data(token, uid, ctx.clock.now() - age)


def forged(ctx: Any, uid: int, as_uid: int) -> str:
    """Genuine initData of `uid` with the user id swapped for `as_uid` (signature kept)."""
    real = init_data(ctx, uid)
    return real.replace(f"%22id%22%3A{uid}", f"%22id%22%3A{as_uid}")
