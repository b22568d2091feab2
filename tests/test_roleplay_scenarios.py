"""The scenario library: every shipped file validates; bad files fail with file, item, reason."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from coaching.roleplay.guard import check_rules
from coaching.roleplay.scenarios import DEFAULT_DIR, ScenarioError, load_dir
from db.models.results import COMPETENCIES

REQUIRED = {
    "no_money",
    "abusive",
    "complaint_threat",
    "disputed_amount",
    "self_harm",
    "third_party",
    "promise_breaker",
    "instalment_m6",
}


def test_shipped_library() -> None:
    lib = load_dir()
    assert set(lib) >= REQUIRED and len(lib) >= 8
    assert {sc.competency for sc in lib.values()} <= set(COMPETENCIES)
    personalities = {sc.persona.personality for sc in lib.values()}
    assert personalities == {"evasive", "hostile", "distressed", "cooperative", "manipulative"}
    assert lib["instalment_m6"].persona.bucket == "M6+"
    assert lib["self_harm"].crisis and lib["third_party"].third_party
    for sc in lib.values():
        # Trainee-facing texts never give away the hidden facts.
        for f in sc.hidden_facts:
            assert f.fact not in sc.summary and f.fact not in sc.script.opening
        # The model lines the rule grader offers are themselves compliant.
        for name, line in sc.model_lines.items():
            assert not check_rules(line, sc), (sc.id, name, line)


def _write(tmp_path: Path, name: str, data: object) -> Path:
    p = tmp_path / f"{name}.yaml"
    p.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return p


def _base() -> dict:
    return yaml.safe_load((DEFAULT_DIR / "no_money.yaml").read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (lambda d: d["persona"].update(bucket="M6+"), "persona: Value error, bucket 'M6+'"),
        (lambda d: d.update(competency="magic"), "competency: Value error, must be one of"),
        (lambda d: d["persona"].update(personality="angry"), "persona.personality"),
        (lambda d: d["script"].update(success_patterns=["(unclosed"]), "script.success_patterns"),
        (lambda d: d["model_lines"].pop("empathy"), "model_lines: Value error, missing criteria"),
        (lambda d: d.update(surprise=1), "surprise: Extra inputs are not permitted"),
        (lambda d: d.update(local_time="25:00"), "local_time"),
    ],
)
def test_bad_files_name_file_item_and_reason(tmp_path: Path, mutate, expected: str) -> None:
    data = _base()
    mutate(data)
    _write(tmp_path, "no_money", data)
    with pytest.raises(ScenarioError) as exc:
        load_dir(tmp_path)
    assert str(exc.value).startswith("no_money.yaml: ") and expected in str(exc.value)


def test_yaml_syntax_error_has_line_and_column(tmp_path: Path) -> None:
    (tmp_path / "broken.yaml").write_text("id: broken\ntitle: [oops\n", encoding="utf-8")
    with pytest.raises(ScenarioError, match=r"broken.yaml: line 3, column 1"):
        load_dir(tmp_path)


def test_id_must_match_file_name_and_dir_must_have_files(tmp_path: Path) -> None:
    _write(tmp_path, "other", _base())
    with pytest.raises(ScenarioError, match="must match the file name"):
        load_dir(tmp_path)
    with pytest.raises(ScenarioError, match="no scenario files"):
        load_dir(tmp_path / "empty")


@pytest.mark.parametrize(
    ("scenario", "line", "rule"),
    [
        ("no_money", "再不还钱我就去你单位找你", "threat"),
        ("no_money", "我们会派人上门", "threat"),
        ("no_money", "我是公安局的", "impersonation"),
        ("no_money", "This is officer Li from the police", "impersonation"),
        ("no_money", "We will come to your office tomorrow", "threat"),
        ("no_money", "不还就抓你坐牢", "false_legal"),
        ("no_money", "You'll be arrested", "false_legal"),
        ("no_money", "你这个骗子", "insult"),
        ("no_money", "you idiot", "insult"),
        ("no_money", "你这个老赖", "derogatory"),
        ("third_party", "他欠我们12000元，逾期了", "disclosure"),
        ("third_party", "Tell him his loan is overdue", "disclosure"),
        ("self_harm", "你别装了，今天必须还钱", "crisis_pressure"),
    ],
)
def test_guard_patterns(scenario: str, line: str, rule: str) -> None:
    sc = load_dir()[scenario]
    assert rule in {v.rule for v in check_rules(line, sc)}


def test_guard_leaves_compliant_lines_and_checks_hours() -> None:
    lib = load_dir()
    for line in [
        "您好，我是XX资产的专员，受银行委托联系您",
        "如果走法律程序，法院会依法处理",
        "请转告他回电，谢谢",
    ]:
        assert check_rules(line, lib["third_party" if "转告" in line else "no_money"]) == []
    late = lib["no_money"].model_copy(update={"local_time": "21:30"})
    [v] = check_rules("您好", late, first_turn=True)
    assert (v.rule, v.severity) == ("off_hours", "minor")
    assert check_rules("您好", late, first_turn=False) == []


def test_cli_check(tmp_path: Path) -> None:
    import typer
    from typer.testing import CliRunner

    from bot.cli import coaching as cli_coaching

    app = typer.Typer()
    cli_coaching.register(app)
    ok = CliRunner().invoke(app, ["scenarios", "check"])
    assert ok.exit_code == 0 and "8 scenarios OK" in ok.output
    data = _base()
    data["persona"]["age"] = 12
    _write(tmp_path, "no_money", data)
    bad = CliRunner().invoke(app, ["scenarios", "check", str(tmp_path)])
    assert bad.exit_code == 1 and "no_money.yaml: persona.age" in bad.output
