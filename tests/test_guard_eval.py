"""Compliance-guard quality cannot silently fall: the labelled sets (bench/data/guard_*.jsonl)
are checked on every run; floors sit slightly under the measured figures."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

import guard_eval  # noqa: E402

from coaching.roleplay.guard import RULE_IDS, SEVERITY, check_text, rule_text  # noqa: E402
from coaching.roleplay.guard_rules import GuardConfigError, load_rules  # noqa: E402

DATA = ROOT / "bench" / "data"
HOLDOUT_PRECISION = (0.86,)
CATEGORIES = {
    "threat",
    "violence",
    "insult",
    "derogatory",
    "impersonation",
    "false_legal",
    "disclosure",
    "contact_unrelated",
    "personal_account",
    "misleading",
    "harassment",
    "privacy",
    "crisis_pressure",
}


def test_set_is_big_and_covers_every_category_and_hard_negative() -> None:
    rows = [json.loads(x) for x in (DATA / "guard_eval.jsonl").read_text("utf-8").splitlines()]
    assert len(rows) >= 400
    assert {c for r in rows for c in r["labels"]} == CATEGORIES
    kinds = {r["kind"] for r in rows if not r["labels"]}
    assert {"negation", "firm", "trap", "crisis_ok"} <= kinds
    assert {r["lang"] for r in rows} == {"zh", "en"}


@pytest.mark.parametrize(
    ("name", "recall", "precision", "cat_precision"),
    [
        ("guard_eval.jsonl", 0.98, 0.98, 0.97),
        ("guard_dev.jsonl", 0.97, 0.97, 0.93),
        ("guard_blind.jsonl", 0.95, 0.95, 0.88),
        ("guard_blind2.jsonl", 0.95, 0.95, 0.85),
        ("guard_blind3.jsonl", 0.95, 0.95, 0.95),
        ("guard_blind4.jsonl", 0.95, 0.95, 0.85),
        ("guard_blind5.jsonl", 0.97, 0.97, 0.93),
    ],
)
def test_quality_floors(name: str, recall: float, precision: float, cat_precision: float) -> None:
    res = guard_eval.evaluate(DATA / name)
    assert res.recall() >= recall, guard_eval.report(res)
    assert res.precision() >= precision, guard_eval.report(res)
    assert res.cat_recall() >= recall - 0.01, guard_eval.report(res)
    assert res.cat_precision() >= cat_precision, guard_eval.report(res)


def test_every_category_has_severity_and_trainee_text() -> None:
    assert set(RULE_IDS) == CATEGORIES | {"off_hours"}
    for rule in RULE_IDS:
        assert SEVERITY[rule] in ("minor", "major")
        assert rule_text(rule, "zh_CN") and rule_text(rule, "en")


@pytest.mark.parametrize(
    ("line", "rule"),
    [
        ("去 你 单 位 找 你", "threat"),
        ("去你單位找你", "threat"),
        ("你这个ＳＢ", "insult"),
        ("ni deng zhe", "threat"),
        ("钱直接转到我个人账户", "personal_account"),
        ("我每天给你打二十个电话", "harassment"),
        ("你这个沙比", "insult"),
        ("shabi，赶紧还", "insult"),
        ("zai bu huan da duan ni de tui", "violence"),
    ],
)
def test_written_forms(line: str, rule: str) -> None:
    assert rule in {v.rule for v in check_text(line)}


@pytest.mark.parametrize(
    "line",
    [
        "我们不会去您单位找您",
        "我不是律师",
        "打扰了，我是银行委托的专员",
        "垃圾分类的事先不说",
        "不还的话你爸妈的房子也不会受影响",
        "去四川出差的话也可以在手机上还款",
        "I made a plan for the payments",
    ],
)
def test_negations_and_substrings(line: str) -> None:
    assert check_text(line) == []


def test_context_scopes() -> None:
    assert check_text("他欠了一些钱", third_party=True)[0].rule == "disclosure"
    assert check_text("麻烦您请他回电", third_party=True) == []
    assert check_text("今天能还款吗", crisis=True)[0].rule == "crisis_pressure"
    assert check_text("今天能还款吗") == []
    [v] = check_text("您好", local_hour=22)
    assert (v.rule, v.severity) == ("off_hours", "minor")


def test_bad_rule_files_name_file_and_field(tmp_path: Path) -> None:
    good = (ROOT / "content" / "guard" / "insult.yaml").read_text(encoding="utf-8")
    (tmp_path / "insult.yaml").write_text(good.replace("severity: major", "severity: huge"))
    with pytest.raises(GuardConfigError, match=r"insult.yaml: severity"):
        load_rules(tmp_path)
    (tmp_path / "insult.yaml").write_text(good + "\npatterns: ['(oops']\n")
    with pytest.raises(GuardConfigError, match=r"insult.yaml"):
        load_rules(tmp_path)


def test_officer_can_add_a_term(tmp_path: Path) -> None:
    (tmp_path / "insult.yaml").write_text(
        "id: insult\nseverity: major\ntitle: {zh_CN: 辱骂, en: insults}\n"
        "rule: {zh_CN: 不得辱骂, en: no insults}\nterms: [大笨瓜]\n",
        encoding="utf-8",
    )
    rules = load_rules(tmp_path)
    assert [v.rule for v in check_text("你个大笨瓜", rules=rules)] == ["insult"]
    assert check_text("你个大笨瓜", model=None) == []  # not in the shipped rules


# Held-out sets: never trained or tuned on (bench/train_guard.py does not read them). Their
# floors sit under the measured figures (docs/privacy-quality.md); recall must stay >= 90%.
@pytest.mark.parametrize(
    ("name", "recall", "precision"),
    [("guard_holdout.jsonl", 0.90, HOLDOUT_PRECISION[0]), ("guard_holdout2.jsonl", 0.95, 0.93)],
)
def test_held_out_floors(name: str, recall: float, precision: float) -> None:
    res = guard_eval.evaluate(DATA / name)
    assert res.recall() >= recall, guard_eval.report(res)
    assert res.precision() >= precision, guard_eval.report(res)
    rules = guard_eval.evaluate(DATA / name, model=None)
    assert res.recall() >= rules.recall() + 0.15, "the model adds little over the rules"


def test_model_is_trained_without_the_held_out_sets() -> None:
    from coaching.roleplay.guard_model import default_model

    gm = default_model()
    assert gm is not None
    trained = set(gm.meta["trained_on"])
    assert "guard_eval.jsonl" in trained
    assert not {n for n in trained if n.startswith("guard_holdout")}


@pytest.mark.parametrize(
    ("line", "rule"),
    [
        ("我们已经通知了你们公司的老板", "contact_unrelated"),
        ("今晚十二点我再打给你", "harassment"),
        ("你就是个赖皮，谁都知道", "derogatory"),
    ],
)
def test_model_layer_generalises(line: str, rule: str) -> None:
    """Lines the rules alone miss: the second stage flags them, as layer "model"."""
    assert check_text(line, model=None) == []
    found = {v.rule: v for v in check_text(line)}
    assert rule in found and found[rule].layer == "model", found


@pytest.mark.parametrize(
    "line",
    [
        "请放心，我们绝不会找人打断你的腿",
        "我不是法院的，我是受委托的催收员",
        "We will never call your boss about this.",
    ],
)
def test_model_respects_negation(line: str) -> None:
    assert check_text(line) == []


def test_bad_model_file_names_the_file(tmp_path: Path) -> None:
    from coaching.roleplay.guard_model import GuardModelError, load_model

    bad = tmp_path / "model.json"
    bad.write_text('{"heads": {"threat": {"bias": 1}}}', encoding="utf-8")
    with pytest.raises(GuardModelError, match=r"model.json: not a guard model"):
        load_model(bad)
    assert load_model(tmp_path / "missing.json") is None
