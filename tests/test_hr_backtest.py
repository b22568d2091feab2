"""Backtest on a crafted history: the CLI's AUC equals sklearn's on the same replay, the
labels are the people who really left within 60 days, and --fit writes weights."""

from __future__ import annotations

import re
import shutil
from datetime import date, timedelta

import typer
from sklearn.metrics import roc_auc_score
from typer.testing import CliRunner

from bot.cli import hr as cli_hr
from coaching.risk.backtest import replay
from coaching.risk.config import DEFAULT_PATH, load_config
from tests import factories as f
from tests.hr_seed import leave

HIRED = date(2024, 1, 1)


def seed(ctx) -> None:  # type: ignore[no-untyped-def]
    with ctx.db.session() as s:
        b = f.branch(s)
        people = {}
        for i in range(1, 11):
            people[i] = f.employee(s, f"C{i:04d}", b, hire_date=HIRED)
        # C0001 left 2025-11-20 after a leave spike in late October.
        l1 = f.employee(s, "C0011", b, hire_date=HIRED, status="left", left_on=date(2025, 11, 20))
        leave(s, l1, date(2025, 10, 20), 4)
        # C0012 left 2026-01-20 after leave and complaints in December.
        l2 = f.employee(s, "C0012", b, hire_date=HIRED, status="left", left_on=date(2026, 1, 20))
        leave(s, l2, date(2025, 12, 10), 4)
        # A stayer with the same October leave spike: a false positive.
        leave(s, people[3], date(2025, 10, 10), 4)
        # Someone who left long before the replay: never in the population.
        f.employee(s, "C0013", b, hire_date=HIRED, status="left", left_on=date(2025, 3, 1))


def cli(ctx, monkeypatch):  # type: ignore[no-untyped-def]
    import bot.cli

    monkeypatch.setattr(bot.cli, "context", lambda: ctx)
    monkeypatch.setattr(bot.cli, "ensure_schema", lambda c: None)
    app = typer.Typer()
    cli_hr.register(app)
    return lambda *args: CliRunner().invoke(app, list(args), env={"COLUMNS": "200"})


def test_backtest_prints_auc_and_precision_from_the_replay(ctx, monkeypatch, tmp_path) -> None:
    seed(ctx)
    config = tmp_path / "risk.yaml"
    shutil.copy(DEFAULT_PATH, config)
    run = cli(ctx, monkeypatch)
    res = run("risk", "backtest", "--months", "4", "--k", "3", "--config", str(config))
    assert res.exit_code == 0, res.output
    # Month-ends whose 60 days are over by 2026-03-02: Sep 30 … Dec 31 2025.
    rep = ctx.call(replay, load_config(config), date(2026, 3, 2), horizon=60, months=4)
    assert rep.month_ends == [
        date(2025, 9, 30),
        date(2025, 10, 31),
        date(2025, 11, 30),
        date(2025, 12, 31),
    ]
    positives = {(x.as_of, x.employee_no) for x in rep.samples if x.left}
    assert positives == {
        (date(2025, 9, 30), "C0011"),
        (date(2025, 10, 31), "C0011"),
        (date(2025, 11, 30), "C0012"),
        (date(2025, 12, 31), "C0012"),
    }
    assert "C0013" not in {x.employee_no for x in rep.samples}
    # No peeking: on Sep 30 nobody's October leave is known yet.
    assert all(x.score == 0 for x in rep.samples if x.as_of == date(2025, 9, 30))
    expected_auc = roc_auc_score([int(x.left) for x in rep.samples], [x.score for x in rep.samples])
    printed_auc = float(re.search(r"AUC (\d\.\d+)", res.output).group(1))  # type: ignore[union-attr]
    assert abs(printed_auc - expected_auc) < 0.0005
    # precision@3 by hand: each month-end's three highest scores (ties by number).
    per = []
    for d in rep.month_ends:
        top = sorted(
            (x for x in rep.samples if x.as_of == d), key=lambda x: (-x.score, x.employee_no)
        )[:3]
        per.append(sum(x.left for x in top) / 3)
    printed_p = float(re.search(r"precision@3 (\d\.\d+)", res.output).group(1))  # type: ignore[union-attr]
    assert abs(printed_p - sum(per) / len(per)) < 0.0005
    assert "training_lag" in res.output and "samples 46" in res.output


def test_backtest_fit_writes_weights_to_a_copy(ctx, monkeypatch, tmp_path) -> None:
    seed(ctx)
    config = tmp_path / "risk.yaml"
    shutil.copy(DEFAULT_PATH, config)
    out = tmp_path / "fitted.yaml"
    run = cli(ctx, monkeypatch)
    res = run(
        "risk", "backtest", "--months", "4", "--fit", "--out", str(out), "--config", str(config)
    )
    assert res.exit_code == 0, res.output
    assert config.read_text() == DEFAULT_PATH.read_text()  # the source is untouched
    fitted = load_config(out)
    # Only leave varied in this history: it takes the whole budget of the fitted signals …
    assert fitted.weight("leave_increase") > 0
    # … and the signals without history keep their configured weight.
    assert fitted.weight("tenure") == load_config(config).weight("tenure")
    assert "# HR attrition-risk model" in out.read_text()  # comments survive
    assert "with fitted weights (in-sample): AUC" in res.output


def test_backtest_without_history_fails_clearly(ctx, monkeypatch, tmp_path) -> None:
    with ctx.db.session() as s:
        f.branch(s)
    run = cli(ctx, monkeypatch)
    res = run("risk", "backtest", "--config", str(DEFAULT_PATH))
    assert res.exit_code == 2 and "no history to replay" in res.output
    _ = timedelta
