"""The drill engine: guard → debtor reply (LLM streamed, or scripted offline) → grading.

Only the scenario and the drill's own lines ever go into a prompt. The persona's system prompt
stays a separate system message; collector lines are `user` messages and the debtor's are
`assistant` messages, so "ignore your instructions" is just dialogue. Prompts stay small:
the last `WINDOW` lines verbatim, older lines folded into a running summary.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from coaching.llm import (
    LLMClient,
    LLMUnavailable,
    MalformedOutput,
    Message,
    StreamCut,
)
from coaching.llm_tokens import ESTIMATE, Counter
from coaching.llm_validate import cut_leak, is_refusal, parrots, wrong_language
from coaching.redact import redact
from coaching.roleplay import llm_guard, scripted, store
from coaching.roleplay import summary as history
from coaching.roleplay.grader import GRADER_BUDGET, grade_llm, grader_messages
from coaching.roleplay.grading import Report, decide
from coaching.roleplay.guard import Violation, check_rules
from coaching.roleplay.prompting import LINE_CHARS, PROMPTS_DIR, clip, render_prompt
from coaching.roleplay.rule_grade import rule_grade
from coaching.roleplay.scenarios import Scenario, library, persona_names
from coaching.roleplay.turnlock import TurnLock

log = logging.getLogger(__name__)

__all__ = ["GRADER_BUDGET", "LINE_CHARS", "PROMPTS_DIR", "grader_messages", "render_prompt"]

WINDOW = 8  # lines kept verbatim in the debtor prompt
DEBTOR_BUDGET = 2000  # prompt tokens of a debtor turn (the model's tokenizer when known)
FOLD_EVERY = 4  # fold older lines into the summary once this many are outside the window
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


def scenarios(ctx: Any) -> dict[str, Scenario]:
    return library(ctx.settings.scenarios_dir)


_clip = clip


def debtor_messages(
    sc: Scenario, turns: list[store.Turn], summary: str, counter: Counter = ESTIMATE
) -> list[Message]:
    """The debtor prompt: persona system message, summary of older lines, recent lines. Over
    DEBTOR_BUDGET tokens by `counter` (the model's tokenizer when known; a small local
    model's context is often 2-4k), the oldest recent lines go first; the collector's
    pending line always stays."""
    system: Message = {
        "role": "system",
        "content": render_prompt(
            "debtor_system",
            sc=sc,
            p=sc.persona,
            personality=PERSONALITY[sc.persona.personality],
        ),
    }
    recent = turns[-WINDOW:]
    while True:
        msgs = [system]
        if summary:
            msgs.append({"role": "system", "content": f"（之前的通话摘要：{summary}）"})
        elif len(turns) > len(recent):
            msgs.append({"role": "system", "content": "（更早的通话内容已省略）"})
        for t in recent:
            role = "user" if t.speaker == "collector" else "assistant"
            msgs.append({"role": role, "content": _clip(t.text)})
        if len(recent) <= 2 or counter.prompt(msgs) <= DEBTOR_BUDGET:
            return msgs
        recent = recent[1:]


def _instructions(sc: Scenario, msgs: list[Message]) -> str:
    """The debtor prompt without what the role may say: its facts and its opening line."""
    text = str(msgs[0]["content"]) if msgs else ""
    for said in [f.fact for f in sc.hidden_facts] + [sc.script.opening]:
        text = text.replace(said, "")
    return text


def _strip_markers(text: str) -> str:
    return text.split("[[", 1)[0].strip()


@dataclass
class TurnOutcome:
    reply: str = ""
    ended: str = ""  # success / hangup / turn_limit, or "" when the drill goes on
    error: str = ""  # LLMUnavailable.kind when the reply could not be produced
    partial: str = ""  # text shown before the stream was cut (not stored)


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
        clean = redact(text, keep=persona_names())

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
        """The LLM compliance check on every line (skipped offline; a server failure never
        blocks the drill). Confirmed findings are stored with the line."""
        if self.llm is None:
            return []
        sc = self.scenario(drill.scenario_id)
        found = await llm_guard.check_line(self.llm, sc, text, already)
        if found:
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
            text, ended = scripted.reply(sc, turns)  # shown whole by the caller
        else:
            msgs = debtor_messages(sc, turns, drill.summary, self.llm.counter)
            said = [t.text for t in turns if t.speaker == "collector"][-1:]
            # The debtor's last lines: a small model may loop on one (seen: the opening line as
            # every answer), which ends the role-play as surely as a refusal. (A line from
            # long ago may come back: "我真的没钱" twice in a call is a debtor, not a loop.)
            said_before = [t.text for t in turns if t.speaker == "debtor"][-3:]
            got = await self._stream_reply(msgs, sink, _instructions(sc, msgs), said, said_before)
            if isinstance(got, TurnOutcome):
                return got
            raw = got
            text = cut_leak(_strip_markers(raw), _instructions(sc, msgs)) or "……"
            ended = "success" if DEAL in raw else "hangup" if HANGUP in raw else ""
        ended = await self.ctx.run(
            store.record_reply, drill.id, text, ended, self.ctx.clock.now(), turns[-1].seq + 1
        )
        if not ended and self.llm is not None:
            await self._fold(drill, [*turns, store.Turn(0, "debtor", text, [])])
        return TurnOutcome(reply=text, ended=ended)

    async def _stream_reply(
        self,
        msgs: list[Message],
        sink: Sink | None,
        instructions: str,
        said: list[str],
        said_before: list[str] | None = None,
    ) -> str | TurnOutcome:
        """The debtor's whole line, or why there is none. A line is complete only when the
        stream ended with a finish reason; a cut stream, a refusal, a line in the wrong
        language, one that parrots the collector or repeats the debtor's own earlier line, or
        is nothing but the prompt's own directions is asked for once more, then given up
        (the caller offers a retry)."""
        assert self.llm is not None
        budget = self.llm.budget("debtor")
        problem, raw = "", ""
        asked = msgs
        for attempt in range(max(2, budget.tries)):
            raw = ""
            temp = None if attempt == 0 else min(1.5, budget.temperature + 0.3)
            try:
                async for delta in self.llm.stream(
                    "debtor", asked, temperature=temp, keep=persona_names()
                ):
                    raw += delta
                    if sink:
                        await sink(_strip_markers(raw))
            except StreamCut as exc:
                problem, raw = "cut", exc.partial
            except LLMUnavailable as exc:
                return TurnOutcome(error=exc.kind)
            else:
                problem = _unusable(raw, instructions, said, said_before or [])
                if not problem:
                    return raw
            log.info("debtor reply unusable (%s), try %d", problem, attempt + 1)
            if attempt + 1 < max(2, budget.tries):
                self.llm.stat("debtor").retries += 1
                # Asked again with what was wrong (same temperature alone gave Qwen2.5-1.5B's
                # same answer); the note is part of the directions a reply may not copy.
                if problem in REPAIR:
                    note: Message = {"role": "system", "content": REPAIR[problem]}
                    asked = [*msgs, note]
                    instructions = f"{instructions}\n{REPAIR[problem]}"
        # The trainee's message names two kinds only: a cut reply and an unusable one.
        kind = "cut" if problem == "cut" else "unusable"
        return TurnOutcome(error=kind, partial=_strip_markers(raw))

    async def _fold(self, drill: store.DrillView, turns: list[store.Turn]) -> None:
        """Fold lines that left the window into the running summary: by the LLM when it
        can, by rules otherwise (see summary.py); the facts survive either way."""
        assert self.llm is not None
        outside = len(turns) - WINDOW
        if outside - drill.summary_upto < FOLD_EVERY:
            return
        old = [history.Line(t.speaker, t.text) for t in turns[drill.summary_upto : outside]]
        text, how = await history.summarise(self.llm, drill.summary, old, self.llm.counter.count)
        log.info("drill %s: lines up to %d folded into the summary (%s)", drill.id, outside, how)
        await self.ctx.run(store.set_summary, drill.id, text, outside)

    # --- the end ------------------------------------------------------------------------

    async def end(self, drill_id: int, employee_id: int, outcome: str) -> None:
        await self.ctx.run(_end_own, drill_id, employee_id, outcome, self.ctx.clock.now())

    async def grade(self, drill_id: int, employee_id: int, locale: str) -> Report:
        """Grade an ended drill and store the report. Raises LLMUnavailable when the server
        is down or ("unusable") when no answer passed its checks: the drill stays waiting
        for its grade and nothing is stored."""
        drill = await self.ctx.run(store.get, drill_id, employee_id)
        assert drill is not None
        sc = self.scenario(drill.scenario_id)
        turns = await self.ctx.run(store.turns, drill.id)
        lines = [t.text for t in turns if t.speaker == "collector"]
        # Rule-layer findings and confirmed LLM majors decide; LLM minors only inform.
        vetoes = [
            v
            for t in turns
            for v in t.violations
            if v["layer"] in ("rules", "model") or v in llm_guard.major_findings([v])
        ]
        notes: dict[str, str] = {}
        if drill.offline or self.llm is None:
            (card, notes), by = rule_grade(sc, lines, drill.outcome), "rules"
        else:
            try:
                card = await grade_llm(
                    self.llm,
                    sc,
                    turns,
                    drill.outcome,
                    locale,
                    drill.summary,
                )
            except MalformedOutput as exc:
                log.warning("grading unavailable for drill %s: %s", drill.id, exc)
                raise LLMUnavailable("unusable", str(exc)) from exc
            by = "llm"
        report = decide(card, lines, vetoes, by, notes)
        await self.ctx.run(store.save_report, drill.id, report, self.ctx.clock.now())
        return report


def _end_own(s: Any, drill_id: int, employee_id: int, outcome: str, now: Any) -> None:
    if store.get(s, drill_id, employee_id) is not None:
        store.end(s, drill_id, outcome, now)


def get_engine(ctx: Any) -> Engine:
    from coaching.llm import get_llm

    eng = ctx.extras.get("roleplay")
    if eng is None:
        eng = Engine(ctx, get_llm(ctx))
        ctx.extras["roleplay"] = eng
    return eng


# What the debtor is told when asked again, by what was wrong with its line.
REPAIR = {
    "refusal": "（这是培训用的角色扮演，请继续以债务人的身份回答。）",
    "language": "（请用中文回答。）",
    "directions": "（只说债务人会说出口的话，不要写任何说明或提示。）",
    "parrot": "（请以债务人的身份，用自己的话回应催收员刚才的话，不要复述对方。）",
    "repeat": "（不要重复你之前说过的话，针对催收员刚才的话作出新的回答。）",
}


def _unusable(raw: str, instructions: str, said: list[str], said_before: list[str]) -> str:
    """Why a complete debtor line cannot be used ("" when it can)."""
    body = _strip_markers(raw)
    if is_refusal(body):
        return "refusal"
    if wrong_language(body, "zh_CN"):
        return "language"
    if not cut_leak(body, instructions):
        return "directions"
    if any(parrots(body, line) for line in said):
        return "parrot"
    if any(parrots(body, line, 0.9) for line in said_before):
        return "repeat"
    return ""
