"""config/plans.yaml: the shipped file is valid; bad ones fail naming the key."""

from __future__ import annotations

from datetime import time
from pathlib import Path

import pytest

from coaching.plans.config import DEFAULT_PATH, PlanConfigError, load, parse


def test_shipped_config_has_the_default_day_and_jkt_override() -> None:
    cfg = load(DEFAULT_PATH)
    day = [
        (b.start.strftime("%H:%M"), b.end.strftime("%H:%M"), b.selector)
        for b in cfg.default.by_time
    ]
    assert day == [
        ("09:00", "10:00", "promises"),
        ("10:00", "11:00", "target"),
        ("11:00", "12:30", "contactable"),
        ("13:30", "15:00", "second_pass"),
        ("15:00", "16:00", "small"),
        ("16:00", "18:00", "rotation"),
        ("18:00", "19:00", "evening"),
    ]
    assert cfg.default.send_at == time(8, 40) and cfg.default.small_amount == 10000
    assert cfg.for_branch("JKT").send_at == time(8, 30)
    assert cfg.for_branch("NOPE") is cfg.default


def _base() -> dict:
    return {
        "default": {
            "blocks": [
                {
                    "id": "a",
                    "start": "09:00",
                    "end": "10:00",
                    "selector": "promises",
                    "priority": 1,
                },
                {
                    "id": "b",
                    "start": "10:00",
                    "end": "11:00",
                    "selector": "rotation",
                    "priority": 2,
                },
            ]
        }
    }


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (
            lambda d: d["default"]["blocks"][1].update(start="25:00"),
            r"default\.blocks\.1\.start: .*HH:MM",
        ),
        (
            lambda d: d["default"]["blocks"][0].update(selector="magic"),
            r"default\.blocks\.0\.selector",
        ),
        (lambda d: d["default"]["blocks"][1].update(start="09:30"), r"default: .*overlap"),
        (lambda d: d["default"].update(top=0), r"default\.top"),
        (lambda d: d["default"].update(colour="red"), r"default\.colour"),
        (lambda d: d.update(branches={"JKT": {"send_at": "8h"}}), r"branches\.JKT\.send_at"),
        (
            lambda d: d["default"]["blocks"][1].update(end="09:00", start="10:00"),
            r"end must be after start",
        ),
    ],
)
def test_bad_config_names_the_key(mutate, message) -> None:  # type: ignore[no-untyped-def]
    data = _base()
    mutate(data)
    with pytest.raises(PlanConfigError, match=message):
        parse(data, "plans.yaml")


def test_yaml_syntax_error_names_line(tmp_path: Path) -> None:
    p = tmp_path / "plans.yaml"
    p.write_text("default:\n  blocks: [\n")
    with pytest.raises(PlanConfigError, match=r"plans\.yaml: line \d+, column \d+"):
        load(p)
