"""Benchmark: the debtor prompt's size at turns 1 / 7 / 20 / 50, with the rolling summary
against the un-summarised baseline (every line verbatim), in real tokens.

The engine's own prompt code (`debtor_messages`) and folding rule (window of 8 lines, fold
every 4, `summary.summarise`) on a 50-turn call whose lines carry amounts, dates, promises
and refusals. Counts with the real tokenizers shipped by quicktok (qwen3 = Qwen2.5/3,
o200k_base = GPT-4o) and the built-in estimate; checks after every fold that each
compliance-relevant fact (money, dates, instalments, promises, refusals) of the folded lines
is still in the summary, and that the summary holds no PII.

    .venv/bin/python bench/roleplay_prompt.py                     # rule summaries (offline)
    .venv/bin/python bench/roleplay_prompt.py --base-url http://127.0.0.1:18300/v1 \\
        --model qwen2.5-coder-1.5b-instruct                       # summaries by a real LLM
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from coaching.llm_tokens import ESTIMATE, counter_for  # noqa: E402
from coaching.redact import contains_pii  # noqa: E402
from coaching.roleplay import store  # noqa: E402
from coaching.roleplay import summary as history  # noqa: E402
from coaching.roleplay.engine import FOLD_EVERY, WINDOW, debtor_messages  # noqa: E402
from coaching.roleplay.scenarios import library  # noqa: E402

CHECKPOINTS = (1, 7, 20, 50)

COLLECTOR = [
    "吴女士您好，我是XX资产管理公司的专员，受银行委托联系您，通话会录音。",
    "我理解您一个人扛着很辛苦，方便说说您现在每个月的收入大概多少吗？",
    "除去房租和生活费，您每个月大概能拿出多少来还款？",
    "我们可以申请分期，首付{a}元，剩下的分{n}期，您看怎么安排合适？",
    "那我们定在{d}号先还{a}元，可以吗？我到时候提前一天提醒您。",
    "如果{d}号有困难，您提前跟我说，我们再一起想办法，好吗？",
    "家里有没有其他人可以帮忙分担一部分？比如先还{a}元的首付。",
    "您之前答应的{a}元，这个月{d}号能到账吗？",
]
DEBTOR = [
    "我现在真的没钱，工资都拖着没发，你们别老打电话了。",
    "一个月就三千多，房租就要一千五，还要吃饭。",
    "最多也就能拿出{a}块吧，再多真没有了。",
    "{n}期的话每个月压力小一点，我想想。",
    "好吧，那我{d}号先还{a}元，你别再催了。",
    "我不同意，利息太高了，我还不起。",
    "我妈可能能帮一点，但我不想让她知道。",
    "下周三发工资，到时候我先还一部分。",
]


def conversation(turns: int) -> list[store.Turn]:
    out: list[store.Turn] = []
    for i in range(turns):
        v = {"a": 500 + 100 * (i % 7), "d": 5 + i % 20, "n": 6 + 3 * (i % 4)}
        said = COLLECTOR[i % len(COLLECTOR)].format(**v)
        out.append(store.Turn(2 * i + 1, "collector", said, []))
        out.append(store.Turn(2 * i + 2, "debtor", DEBTOR[i % len(DEBTOR)].format(**v), []))
    return out


async def run(base_url: str | None, model: str, tokenizer: str) -> int:
    sc = library(None)["no_money"]
    qwen, o200k = counter_for("qwen2.5"), counter_for("gpt-4o")
    main = counter_for(model, tokenizer)
    llm = None
    if base_url:
        from bot.settings import load_settings
        from coaching.llm import LLMClient

        llm = LLMClient(
            load_settings(
                _env_file=None,
                OPENAI_BASE_URL=base_url,
                OPENAI_API_KEY="not-needed",
                COACHBOT_LLM_MODEL=model,
                COACHBOT_LLM_TOKENIZER=tokenizer,
                COACHBOT_LLM_MAX_RETRIES=0,
            )
        )
    print(f"budget: the debtor prompt <= 2,000 tokens; counted for {model} with {main.name}")
    print(f"tokenizers: qwen = {qwen.name}, gpt-4o = {o200k.name}")
    convo = conversation(max(CHECKPOINTS))
    summary, upto, folds, lost, pii = "", 0, {"llm": 0, "rules": 0}, 0, 0
    fold_s: list[float] = []
    promised: list[str] = []
    rows = []
    for turn in range(1, max(CHECKPOINTS) + 1):
        # The debtor's prompt at this turn: everything before plus the pending collector line.
        upto_line = 2 * turn - 1
        lines = convo[:upto_line]
        if turn in CHECKPOINTS:
            base = debtor_messages_unsummarised(sc, lines)
            msgs = debtor_messages(sc, lines, summary, main)
            rows.append(
                (
                    turn,
                    qwen.prompt(base),
                    qwen.prompt(msgs),
                    o200k.prompt(base),
                    o200k.prompt(msgs),
                    ESTIMATE.prompt(msgs),
                    main.prompt(msgs),
                    qwen.count(summary),
                )
            )
        # The debtor answers; then the engine folds what left the window.
        lines = convo[: upto_line + 1]
        outside = len(lines) - WINDOW
        if outside - upto >= FOLD_EVERY:
            old = [history.Line(t.speaker, t.text) for t in lines[upto:outside]]
            facts = [f for ln in old for f in history.line_facts(ln)]
            t0 = time.perf_counter()
            summary, how = await history.summarise(llm, summary, old, main.count)
            fold_s.append(time.perf_counter() - t0)
            folds[how] += 1
            upto = outside
            promised.extend(f for f in facts if history.rank(f) == 3)
            # The newly folded money/date facts, and every promise or refusal so far.
            lost += len(history.missing_facts(summary, [f for f in facts if history.critical(f)]))
            lost += len(history.missing_facts(summary, promised))
            pii += contains_pii(summary)
    if llm is not None:
        await llm.close()
    print()
    print(
        f"{'turn':>4} {'baseline qwen':>14} {'summarised qwen':>16} {'ratio':>6} "
        f"{'baseline gpt-4o':>16} {'summarised gpt-4o':>18} {'estimate':>9} {'summary qwen':>13}"
    )
    for t, bq, sq, bo, so, est, _m, sumq in rows:
        print(f"{t:>4} {bq:>14} {sq:>16} {sq / bq:>6.2f} {bo:>16} {so:>18} {est:>9} {sumq:>13}")
    worst = max(r[6] for r in rows)
    print()
    print(
        f"folds: {folds['llm']} by the LLM, {folds['rules']} by rules"
        + (f", {sum(fold_s) / len(fold_s):.1f} s each" if fold_s and llm else "")
    )
    print(f"critical facts lost from the summary: {lost}; summaries with PII: {pii}")
    print(f"largest debtor prompt at the checkpoints: {worst} tokens ({main.name})")
    print(f"last summary: {summary}")
    ok = worst <= 2000 and lost == 0 and pii == 0
    print("OK" if ok else "OVER BUDGET OR FACTS LOST")
    return 0 if ok else 1


def debtor_messages_unsummarised(sc, lines):  # type: ignore[no-untyped-def]
    """The baseline: the persona and every line verbatim (no window, no summary)."""
    msgs = debtor_messages(sc, lines[:1], "")
    for t in lines[1:]:
        msgs.append(
            {"role": "user" if t.speaker == "collector" else "assistant", "content": t.text}
        )
    return msgs


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--base-url", default=None, help="summaries by this server's LLM")
    ap.add_argument("--model", default="qwen2.5-coder-1.5b-instruct")
    ap.add_argument("--tokenizer", default="auto")
    args = ap.parse_args()
    sys.exit(asyncio.run(run(args.base_url, args.model, args.tokenizer)))


if __name__ == "__main__":
    main()
