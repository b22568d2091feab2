"""The drill engine: guard → debtor reply (LLM streamed, or scripted offline) → grading.

Only the scenario and the drill's own lines ever go into a prompt. The persona's system prompt
stays a separate system message; collector lines are `user` messages and the debtor's are
`assistant` messages, so "ignore your instructions" is just dialogue. Prompts stay small:
the last `WINDOW` lines verbatim, older lines folded into a running summary.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from coaching.llm import LLMClient, LLMUnavailable, MalformedOutput, Message, prompt_tokens
from coaching.redact import redact
from coaching.roleplay import store
from coaching.roleplay.grading import (
    ComplianceVerdict,
    Report,
    Scorecard,
    decide,
    rule_scorecard,
)
from coaching.roleplay.guard import SEVERITY, Violation, check_rules
from coaching.roleplay.scenarios import Scenario, library
from coaching.roleplay.turnlock import TurnLock

log = logging.getLogger(__name__)

PROMPTS_DIR = Path(__file__).resolve().parents[2] / "prompts"
WINDOW = 8  # lines kept verbatim in the debtor prompt
FOLD_EVERY = 4  # fold older lines into the summary once this many are outside the window
LINE_CHARS = 240  # a collector line is cut to this in prompts
DEAL, HANGUP = "[[DEAL]]", "[[HANGUP]]"

PERSONALITY = {
    "evasive": "回避型：找借口、转移话题、不愿给出具体承诺。",
    "hostile": "敌对型：情绪激动、说话冲、容易骂人，但被尊重后会慢慢冷静。",
    "distressed": "崩溃型：情绪低落、绝望，需要被关心而不是被催。",
    "cooperative": "配合型：愿意沟通，但能力有限，担心还不上。",
    "manipulative": "操纵型：试探、讨价还价、用投诉或关系施压，爱打听。",
}

Sink = Callable[[str], Awaitable[None]]
Snap = tuple[store.DrillView, list[store.Turn]]


@lru_cache(maxsize=1)
def _prompt_env() -> Environment:
    return Environment(
        loader=FileSystemLoader(str(PROMPTS_DIR)),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,  # prompts are plain text
    )


def render_prompt(name: str, **kw: Any) -> str:
    return _prompt_env().get_template(f"{name}.j2").render(**kw).strip()


def scenarios(ctx: Any) -> dict[str, Scenario]:
    return library(ctx.settings.scenarios_dir)


def _clip(text: str, n: int = LINE_CHARS) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def debtor_messages(sc: Scenario, turns: list[store.Turn], summary: str) -> list[Message]:
    """The debtor prompt: persona system message, summary of older lines, recent lines."""
    msgs: list[Message] = [
        {
            "role": "system",
            "content": render_prompt(
                "debtor_system",
                sc=sc,
                p=sc.persona,
                personality=PERSONALITY[sc.persona.personality],
            ),
        }
    ]
    recent = turns[-WINDOW:]
    if summary:
        msgs.append({"role": "system", "content": f"（之前的通话摘要：{summary}）"})
    elif len(turns) > len(recent):
        msgs.append({"role": "system", "content": "（更早的通话内容已省略）"})
    for t in recent:
        role = "user" if t.speaker == "collector" else "assistant"
        msgs.append({"role": role, "content": _clip(t.text)})
    return msgs


def _strip_markers(text: str) -> str:
    return text.split("[[", 1)[0].strip()


@dataclass
class TurnOutcome:
    reply: str = ""
    ended: str = ""  # success / hangup / turn_limit, or "" when the drill goes on
    error: str = ""  # LLMUnavailable.kind when the reply could not be produced


@dataclass
class Engine:
    """One per AppContext; `ctx` provides settings, clock and `run` (DB off the loop)."""

    ctx: Any
    llm: LLMClient | None

    @property
    def offline(self) -> bool:
        return self.llm is None

    def lock(self, employee_id: int) -> TurnLock:
        """One turn at a time per trainee, across processes: `async with eng.lock(id) as got`;
        `got` is False while another turn of theirs runs (see turnlock.py)."""
        return TurnLock(self.ctx, employee_id)

    def scenario(self, scenario_id: str) -> Scenario:
        return scenarios(self.ctx)[scenario_id]

    async def start(self, employee_id: int, scenario_id: str) -> store.DrillView:
        sc = self.scenario(scenario_id)
        return await self.ctx.run(
            store.start,
            employee_id,
            sc,
            self.ctx.clock.now(),
            offline=self.offline,
            turn_limit=self.ctx.settings.roleplay_turn_limit,
        )

    # --- one collector turn -------------------------------------------------------------

    async def take_line(self, employee_id: int, text: str) -> store.Taken | store.DrillView | None:
        """Run the rule layer on the caller's line and store it with its violations, before
        any LLM sees it (see `store.take_collector_line`)."""
        clean = redact(text)

        def check(drill: store.DrillView) -> list[dict[str, Any]]:
            sc = self.scenario(drill.scenario_id)
            found = check_rules(clean, sc, first_turn=drill.turns_taken == 0)
            return [v.to_dict() for v in found]

        return await self.ctx.run(
            store.take_collector_line, employee_id, clean, check, self.ctx.clock.now()
        )

    async def llm_check(
        self, drill: store.DrillView, seq: int, text: str, already: list[dict[str, Any]]
    ) -> list[Violation]:
        """The LLM compliance check (skipped offline; failures never block the drill)."""
        if self.llm is None:
            return []
        sc = self.scenario(drill.scenario_id)
        msgs: list[Message] = [
            {
                "role": "system",
                "content": render_prompt(
                    "compliance_check", third_party=sc.third_party, crisis=sc.crisis
                ),
            },
            {"role": "user", "content": f"Collector's line:\n<<<{_clip(text)}>>>"},
        ]
        try:
            v = await self.llm.structured("compliance", msgs, ComplianceVerdict, max_tokens=200)
        except (LLMUnavailable, MalformedOutput) as exc:
            log.info("llm compliance check skipped: %s", exc)
            return []
        rule = v.rule.strip().lower()
        if not v.violation or rule in ("", "none") or rule in {x["rule"] for x in already}:
            return []
        sev = SEVERITY.get(rule, v.severity if v.severity in ("minor", "major") else "minor")
        found = [Violation(rule, sev, "llm", _clip(redact(v.reason), 80))]
        await self.ctx.run(store.add_violations, drill.id, seq, [x.to_dict() for x in found])
        return found

    async def reply(
        self, drill_id: int, employee_id: int, sink: Sink | None, snap: Snap | None = None
    ) -> TurnOutcome:
        """The debtor's answer to the pending collector line; streamed into `sink`."""
        if snap is None:
            snap = await self.ctx.run(store.snapshot, drill_id, employee_id)
        assert snap is not None
        drill, turns = snap
        sc = self.scenario(drill.scenario_id)
        if self.llm is None:
            text, ended = self._scripted(sc, turns)  # shown whole by the caller
        else:
            msgs = debtor_messages(sc, turns, drill.summary)
            raw = ""
            try:
                async for delta in self.llm.stream("debtor", msgs):
                    raw += delta
                    if sink:
                        await sink(_strip_markers(raw))
            except LLMUnavailable as exc:
                return TurnOutcome(error=exc.kind)
            text = _strip_markers(raw) or "……"
            ended = "success" if DEAL in raw else "hangup" if HANGUP in raw else ""
        ended = await self.ctx.run(
            store.record_reply, drill.id, text, ended, self.ctx.clock.now(), turns[-1].seq + 1
        )
        if not ended and self.llm is not None:
            await self._fold(drill, [*turns, store.Turn(0, "debtor", text, [])])
        return TurnOutcome(reply=text, ended=ended)

    def _scripted(self, sc: Scenario, turns: list[store.Turn]) -> tuple[str, str]:
        """Offline mode: the scenario's scripted lines, objections and hidden facts."""
        line = turns[-1].text
        said = [t.text for t in turns if t.speaker == "debtor"]
        if any(v["severity"] == "major" for v in turns[-1].violations if v["layer"] == "rules"):
            return sc.script.hangup, "hangup"
        if any(re.search(p, line) for p in sc.script.success_patterns):
            return sc.script.closing, "success"
        for f in sc.hidden_facts:
            reveal = f"其实……{f.fact}。"
            if reveal not in said and any(k in line for k in f.reveal_when):
                return reveal, ""
        for o in sc.script.objections:
            if o.reply not in said and any(k in line for k in o.when):
                return o.reply, ""
        n = sum(1 for s in said if s in sc.script.lines)
        return sc.script.lines[min(n, len(sc.script.lines) - 1)], ""

    async def _fold(self, drill: store.DrillView, turns: list[store.Turn]) -> None:
        """Fold lines that left the window into the running summary (best effort)."""
        assert self.llm is not None
        outside = len(turns) - WINDOW
        if outside - drill.summary_upto < FOLD_EVERY:
            return
        old = turns[drill.summary_upto : outside]
        transcript = "\n".join(
            f"{'催收员' if t.speaker == 'collector' else '债务人'}：{_clip(t.text, 120)}"
            for t in old
        )
        msgs: list[Message] = [
            {"role": "system", "content": render_prompt("history_summary")},
            {
                "role": "user",
                "content": f"已有摘要：{drill.summary or '（无）'}\n新增内容：\n{transcript}",
            },
        ]
        try:
            summary = await self.llm.complete("summary", msgs, max_tokens=160, temperature=0)
        except LLMUnavailable as exc:
            log.info("summary skipped: %s", exc)
            return
        await self.ctx.run(store.set_summary, drill.id, _clip(summary.strip(), 200), outside)

    # --- the end ------------------------------------------------------------------------

    async def end(self, drill_id: int, employee_id: int, outcome: str) -> None:
        await self.ctx.run(_end_own, drill_id, employee_id, outcome, self.ctx.clock.now())

    async def grade(self, drill_id: int, employee_id: int, locale: str) -> Report:
        """Grade an ended drill and store the report; raises LLMUnavailable (retry later)."""
        drill = await self.ctx.run(store.get, drill_id, employee_id)
        assert drill is not None
        sc = self.scenario(drill.scenario_id)
        turns = await self.ctx.run(store.turns, drill.id)
        lines = [t.text for t in turns if t.speaker == "collector"]
        rule_v = [v for t in turns for v in t.violations if v["layer"] == "rules"]
        if drill.offline or self.llm is None:
            card, by = rule_scorecard(sc, lines, drill.outcome), "rules"
        else:
            try:
                card = await self.llm.structured(
                    "grader",
                    grader_messages(sc, turns, drill.outcome, locale, drill.summary),
                    Scorecard,
                    max_tokens=900,
                )
                by = "llm"
            except MalformedOutput:
                card, by = rule_scorecard(sc, lines, drill.outcome), "rules_fallback"
        report = decide(card, lines, rule_v, by)
        await self.ctx.run(store.save_report, drill.id, report, self.ctx.clock.now())
        return report


def _end_own(s: Any, drill_id: int, employee_id: int, outcome: str, now: Any) -> None:
    if store.get(s, drill_id, employee_id) is not None:
        store.end(s, drill_id, outcome, now)


GRADER_BUDGET = 2000  # estimated prompt tokens


def grader_messages(
    sc: Scenario, turns: list[store.Turn], outcome: str, locale: str, summary: str = ""
) -> list[Message]:
    """Every collector line (quotes must be theirs), the debtor's only near the end: older
    debtor lines are represented by the running summary. If that is still over budget, the
    debtor lines go and the collector lines are cut shorter (prefixes keep quotes verbatim)."""
    system = render_prompt("grader", sc=sc, locale=locale)
    flagged = sorted(
        {f"{v['rule']} ({v['severity']}, {v['layer']})" for t in turns for v in t.violations}
    )
    flags = ", ".join(flagged) or "none"
    msgs: list[Message] = []
    for collector_chars, debtor_window in ((200, WINDOW), (120, 2), (60, 0), (30, 0)):
        recent_from = len(turns) - debtor_window
        lines = []
        for i, t in enumerate(turns):
            if t.speaker == "collector":
                lines.append(f"COLLECTOR: {_clip(t.text, collector_chars)}")
            elif i >= recent_from or i == 0:
                lines.append(f"DEBTOR: {_clip(t.text, 80)}")
        body = (
            (f"Summary of the call's earlier part: {summary}\n\n" if summary else "")
            + "Transcript:\n"
            + "\n".join(lines)
            + f"\n\nHow the call ended: {outcome}"
            + f"\nCompliance flags raised during the call: {flags}"
        )
        msgs = [{"role": "system", "content": system}, {"role": "user", "content": body}]
        # ~150 tokens are added for the JSON skeleton by the client.
        if prompt_tokens(msgs) + 150 <= GRADER_BUDGET:
            break
    return msgs


def get_engine(ctx: Any) -> Engine:
    from coaching.llm import get_llm

    eng = ctx.extras.get("roleplay")
    if eng is None:
        eng = Engine(ctx, get_llm(ctx))
        ctx.extras["roleplay"] = eng
    return eng
