"""PII redaction quality on a labelled set: recall and precision per kind and overall.

    .venv/bin/python bench/pii_eval.py [--data bench/data/pii_eval.jsonl] [--misses 30]

A labelled PII span counts as redacted when every letter, digit and CJK character of it lies
inside a redacted span (a partly redacted phone still leaks). A redacted span is correct when
it overlaps a labelled PII span; keep-spans (amounts, dates, times, percentages, reference
numbers, look-alike words) must survive verbatim. Precision = correct redacted spans / all
redacted spans; "survive" = keep-spans left intact / all keep-spans.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.figure import Figure
from coaching.redact import find_pii

DEFAULT = Path(__file__).with_name("data") / "pii_eval.jsonl"
# Detector kinds → labelled kinds.
KIND = {"mobile": "phone", "phone": "phone"}


@dataclass
class Result:
    tp: Counter = field(default_factory=Counter)  # labelled kind → redacted
    fn: Counter = field(default_factory=Counter)
    det_ok: Counter = field(default_factory=Counter)  # detector kind → overlapping PII
    det_bad: Counter = field(default_factory=Counter)
    keep_ok: Counter = field(default_factory=Counter)
    keep_bad: Counter = field(default_factory=Counter)
    forms: Counter = field(default_factory=Counter)
    form_miss: Counter = field(default_factory=Counter)
    misses: list[str] = field(default_factory=list)

    def recall(self) -> float:
        t = sum(self.tp.values()) + sum(self.fn.values())
        return sum(self.tp.values()) / t if t else 1.0

    def precision(self) -> float:
        t = sum(self.det_ok.values()) + sum(self.det_bad.values())
        return sum(self.det_ok.values()) / t if t else 1.0

    def survive(self) -> float:
        t = sum(self.keep_ok.values()) + sum(self.keep_bad.values())
        return sum(self.keep_ok.values()) / t if t else 1.0


def _significant(ch: str) -> bool:
    return ch.isalnum()


def evaluate(path: Path = DEFAULT) -> Result:
    res = Result()
    for raw in path.read_text(encoding="utf-8").splitlines():
        if not raw.strip():
            continue
        row = json.loads(raw)
        text = row["text"]
        spans = find_pii(text)
        covered = [False] * len(text)
        for s in spans:
            for i in range(s.start, s.end):
                covered[i] = True
        for g in row["pii"]:
            a, b = g["start"], g["end"]
            ok = all(covered[i] for i in range(a, b) if _significant(text[i]))
            form = f"{g['kind']}/{g.get('form', '')}"
            res.forms[form] += 1
            if ok:
                res.tp[g["kind"]] += 1
            else:
                res.fn[g["kind"]] += 1
                res.form_miss[form] += 1
                res.misses.append(f"MISS {g['kind']:8} {text[a:b]!r} in {row['id']}: {text}")
        for s in spans:
            kind = KIND.get(s.kind, s.kind)
            if any(s.start < g["end"] and g["start"] < s.end for g in row["pii"]):
                res.det_ok[kind] += 1
            else:
                res.det_bad[kind] += 1
                res.misses.append(f"FALSE {s.kind:7} {s.value!r} in {row['id']}: {text}")
        for k in row.get("keep", []):
            a, b = k["start"], k["end"]
            if any(a < s.end and s.start < b for s in spans):
                res.keep_bad[k["kind"]] += 1
                res.misses.append(f"BROKE {k['kind']:8} {text[a:b]!r} in {row['id']}: {text}")
            else:
                res.keep_ok[k["kind"]] += 1
    return res


def _pct(a: int, b: int) -> str:
    return f"{100 * a / b:6.1f}%" if b else "     -"


def report(res: Result, misses: int = 30) -> str:
    lines = [f"{'kind':10} {'recall':>8} {'precision':>10} {'spans':>6} {'flagged':>8}"]
    kinds = sorted(set(res.tp) | set(res.fn) | set(res.det_ok) | set(res.det_bad))
    for k in kinds:
        n = res.tp[k] + res.fn[k]
        d = res.det_ok[k] + res.det_bad[k]
        lines.append(f"{k:10} {_pct(res.tp[k], n):>8} {_pct(res.det_ok[k], d):>10} {n:6} {d:8}")
    lines.append(
        f"{'overall':10} {100 * res.recall():7.1f}% {100 * res.precision():9.1f}%"
        f" {sum(res.tp.values()) + sum(res.fn.values()):6}"
        f" {sum(res.det_ok.values()) + sum(res.det_bad.values()):8}"
    )
    lines.append("")
    lines.append(f"{'must survive':14} {'intact':>8} {'spans':>6}")
    for k in sorted(set(res.keep_ok) | set(res.keep_bad)):
        n = res.keep_ok[k] + res.keep_bad[k]
        lines.append(f"{k:14} {_pct(res.keep_ok[k], n):>8} {n:6}")
    lines.append(f"{'overall':14} {100 * res.survive():7.1f}%")
    if res.form_miss:
        lines.append("")
        lines.append(
            "missed written forms: "
            + ", ".join(f"{f} {res.form_miss[f]}/{res.forms[f]}" for f in sorted(res.form_miss))
        )
    if misses and res.misses:
        lines.append("")
        lines += res.misses[:misses]
        if len(res.misses) > misses:
            lines.append(f"... {len(res.misses) - misses} more")
    return "\n".join(lines)


def figures(quick: bool) -> list[Figure]:
    """For bench/run_all.py: the whole labelled set either way (it takes seconds)."""
    from bench.figure import at_least

    res = evaluate(DEFAULT)
    print(report(res, 0))
    return [
        at_least("PII redaction recall", 100 * res.recall(), "%", 98),
        at_least("PII redaction precision", 100 * res.precision(), "%", 97),
        at_least("keep-spans intact after redaction", 100 * res.survive(), "%", 98),
    ]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=DEFAULT)
    ap.add_argument("--misses", type=int, default=30)
    args = ap.parse_args()
    print(report(evaluate(args.data), args.misses))


if __name__ == "__main__":
    main()
