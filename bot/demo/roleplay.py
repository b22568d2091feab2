"""Demo data: a few graded drills per collector over the last weeks, so /roleplay suggestions,
/coach tips and the scorecard's skills component have something to show."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from coaching.roleplay import store
from coaching.roleplay.grading import decide, rule_scorecard
from coaching.roleplay.guard import check_rules
from coaching.roleplay.scenarios import library

WEAK_LINES = ["你到底什么时候还？", "今天必须还钱。", "我不管你有什么困难。", "那你说怎么办吧。"]
THREAT = "再不还钱我就去你单位找你"


def extend_demo(ctx: Any, world: Any) -> str:
    s, rng = world.session, world.rng
    lib = library(ctx.settings.scenarios_dir)
    ids = sorted(lib)
    n = 0
    for emp in world.collectors[:30]:
        if getattr(emp, "left_on", None):
            continue
        for _ in range(rng.randint(1, 3)):
            sc = lib[rng.choice(ids)]
            when = world.now - timedelta(days=rng.randint(1, 40), hours=rng.randint(0, 6))
            drill = store.start(s, emp.id, sc, when, offline=True, turn_limit=12)
            skill = rng.random()
            lines = [
                sc.model_lines[c] if rng.random() < skill else rng.choice(WEAK_LINES)
                for c in ("compliance", "empathy", "problem_solving", "negotiation")
            ]
            if rng.random() < 0.05:
                lines.insert(2, THREAT)
            for i, line in enumerate(lines):
                found = [v.to_dict() for v in check_rules(line, sc, first_turn=i == 0)]
                store.add_turn(s, drill.id, "collector", line, when, found)
                store.add_turn(
                    s, drill.id, "debtor", sc.script.lines[i % len(sc.script.lines)], when
                )
            outcome = "success" if skill > 0.6 else "ended"
            store.end(s, drill.id, outcome, when + timedelta(minutes=8))
            turns = store.turns(s, drill.id)
            rule_v = [v for t in turns for v in t.violations]
            report = decide(rule_scorecard(sc, lines, outcome), lines, rule_v, "rules")
            store.save_report(s, drill.id, report, when + timedelta(minutes=8))
            n += 1
    return f"drills: {n}"
