"""`coachbot score` / `coachbot promotions` through Typer's CliRunner, and the monthly jobs."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import typer
from sqlalchemy import func, select
from typer.testing import CliRunner

from bot.cli.score import register
from bot.jobs import get_job, run_job
from bot.settings import get_settings
from coaching.calendar import all_branches
from db.models import Outbox, ScoreSnapshot
from tests import scoring_fixtures as sf


@pytest.fixture
def cli(ctx, tmp_path, monkeypatch):  # type: ignore[no-untyped-def]
    cfg = sf.write_config(tmp_path)
    monkeypatch.setenv("DATABASE_URL", ctx.db.url)
    monkeypatch.setenv("COACHBOT_SCORING_CONFIG", str(cfg))
    monkeypatch.setenv("COACHBOT_OUTPUT_DIR", str(tmp_path / "out"))
    ctx.settings = ctx.settings.model_copy(update={"scoring_config": str(cfg)})
    get_settings.cache_clear()
    app = typer.Typer()
    register(app)
    runner = CliRunner()

    def invoke(*args: str):  # type: ignore[no-untyped-def]
        return runner.invoke(app, list(args))

    yield invoke
    get_settings.cache_clear()


def test_score_json_matches_hand_computed(ctx, cli) -> None:  # type: ignore[no-untyped-def]
    sf.seed(ctx)
    res = cli("score", "--month", "2026-03", "--branch", "SH", "--format", "json")
    assert res.exit_code == 0, res.output
    doc = json.loads(res.output)
    assert doc["schema"] == "coachbot.scorecards/1" and doc["month"] == "2026-03"
    assert doc["config_version"] == "test-2"
    by = {c["employee_no"]: c for c in doc["scorecards"]}
    c1 = by["C0001"]
    assert c1["total"] == 70.0 and c1["vetoed"] is False and c1["veto_reason"] is None
    assert c1["currency"] == "CNY" and c1["tied_team"] is False
    assert (c1["rank_team"], c1["team_size"], c1["rank_branch"], c1["branch_size"]) == (3, 4, 4, 5)
    rec = c1["components"]["recovery"]
    assert rec == {
        "available": True,
        "raw": 0.29,
        "score": 58.0,
        "weight": 40.0,
        "effective_weight": 40.0,
        # Team SH-1 recovery: C0001 58, C0002 58, C0004 100 (C0003 n/a) → 72.0.
        "team_average": 72.0,
        "team_average_raw": pytest.approx((0.29 * 2 + 0.5) / 3, abs=1e-4),
        "previous_score": None,
        "na_reason": None,
    }
    assert c1["components"]["complaints"]["raw"] == 0.02
    assert c1["components"]["complaints"]["score"] == 75.0
    assert c1["components"]["compliance"]["score"] == 80.0
    # The veto.
    c2 = by["C0002"]
    assert c2["total"] == 0.0 and c2["vetoed"] is True
    assert c2["veto_reason"] == "private_collection: 私下收款" and c2["rank_team"] == 4
    # n/a: recovery unavailable, its weight spread over the other two.
    c3 = by["C0003"]["components"]
    assert c3["recovery"]["available"] is False and c3["recovery"]["raw"] is None
    assert c3["recovery"]["na_reason"] == "no_assigned"
    assert c3["complaints"]["effective_weight"] == 41.7 and by["C0003"]["total"] == 100.0
    # Nothing to score at all.
    assert by["C0005"]["total"] is None and by["C0005"]["rank_team"] is None
    # Mid-month hire and the tie.
    assert by["C0004"]["total"] == 100.0 and by["C0004"]["rank_team"] == 1
    assert by["C0003"]["rank_team"] == 1


def test_score_profile_b_json_and_selectors(ctx, cli) -> None:  # type: ignore[no-untyped-def]
    sf.seed(ctx)
    sf.seed_jkt(ctx)
    res = cli("score", "--month", "2026-03", "--employee", "J0002", "--format", "json")
    assert res.exit_code == 0, res.output
    [j2] = json.loads(res.output)["scorecards"]
    assert j2["profile"] == "B" and j2["total"] == 63.6
    assert j2["components"]["skills"]["available"] is False
    res = cli("score", "--month", "2026-03", "--team", "SH-2", "--format", "csv")
    lines = res.output.strip().splitlines()
    assert lines[0].startswith("employee_no,name,branch,team,profile,month,total")
    assert len(lines) == 2 and lines[1].startswith("C0006,孙八,SH,SH-2,A,2026-03,100.0")
    res = cli("score", "--month", "2026-03", "--team", "SH-1")
    assert res.exit_code == 0 and "C0001" in res.output and "C0006" not in res.output
    bad = cli("score", "--employee", "NOPE", "--month", "2026-03")
    assert bad.exit_code == 2 and "no employee NOPE" in bad.output
    bad = cli("score", "--month", "March")
    assert bad.exit_code == 2 and "YYYY-MM" in bad.output


def _snap(s, emp_id: int, month: date, total: float) -> None:  # type: ignore[no-untyped-def]
    s.add(
        ScoreSnapshot(
            employee_id=emp_id,
            month=month,
            profile="A",
            total=total,
            components={},
            computed_at=datetime(2026, 1, 1, tzinfo=UTC),
        )
    )


def test_snapshot_job_promotions_job_and_cli(ctx, cli) -> None:  # type: ignore[no-untyped-def]
    w = sf.seed(ctx)
    with ctx.db.session() as s:
        [branch] = all_branches(s)
        # C0003 and C0004 had two good months before March; C0001 one good and one at 89.9.
        for no in ("C0003", "C0004"):
            _snap(s, w.ids[no], date(2026, 1, 1), 95)
            _snap(s, w.ids[no], date(2026, 2, 1), 90)
        _snap(s, w.ids["C0001"], date(2026, 1, 1), 99)
        _snap(s, w.ids["C0001"], date(2026, 2, 1), 89.9)
    # 2026-04-01 00:30 in Shanghai: the snapshot job freezes March.
    ctx.clock.set(datetime(2026, 3, 31, 16, 30, tzinfo=UTC))
    assert run_job(ctx, get_job("score_snapshot"), branch) == "7 scorecards frozen for 2026-03"
    assert run_job(ctx, get_job("score_snapshot"), branch) is None  # claimed once a day
    assert run_job(ctx, get_job("score_snapshot"), branch, force=True)  # a forced re-run …
    with ctx.db.session() as s:
        n = s.execute(
            select(func.count())
            .select_from(ScoreSnapshot)
            .where(ScoreSnapshot.month == date(2026, 3, 1))
        ).scalar_one()
        c1 = s.execute(
            select(ScoreSnapshot).where(
                ScoreSnapshot.month == date(2026, 3, 1),
                ScoreSnapshot.employee_id == w.ids["C0001"],
            )
        ).scalar_one()
        assert n == 7  # … rewrites the same rows
        assert c1.total == 70.0 and c1.rank_team == 3 and c1.components["recovery"]["score"] == 58
    # 09:00: promotions to the HR chat, once.
    ctx.clock.set(datetime(2026, 4, 1, 1, 0, tzinfo=UTC))
    assert (
        run_job(ctx, get_job("promotions"), branch) == "2 candidates for 2026-03, 1 messages queued"
    )
    run_job(ctx, get_job("promotions"), branch, force=True)
    with ctx.db.session() as s:
        rows = list(s.execute(select(Outbox).where(Outbox.kind == "promotions")).scalars())
    assert len(rows) == 1 and rows[0].chat_id == -100500
    text = rows[0].payload["text"]
    assert "C0003" in text and "C0004" in text and "C0001" not in text
    assert "95.0 / 90.0 / 100.0" in text
    res = cli("promotions", "--month", "2026-03")
    assert res.exit_code == 0, res.output
    assert "C0003" in res.output and "C0004" in res.output and "C0001" not in res.output
    assert "2 candidate(s)" in res.output
    assert "trainee → account manager: 3 months ≥ 90.0" in res.output
    assert "account manager → senior: 12 months ≥ 75.0" in res.output


def test_cli_reports_bad_config(ctx, cli, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    bad = tmp_path / "bad.yaml"
    bad.write_text(sf.TEST_CONFIG.replace("target: 0.5", "target: -1"))
    monkeypatch.setenv("COACHBOT_SCORING_CONFIG", str(bad))
    get_settings.cache_clear()
    res = cli("score", "--month", "2026-03")
    assert res.exit_code == 2
    assert "bad.yaml" in res.output and "components.recovery.target" in res.output
