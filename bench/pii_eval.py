"""PII redaction quality on a labelled set: recall and precision per kind and overall.

    .venv/bin/python bench/pii_eval.py [--data bench/data/pii_eval.jsonl] [--misses 30]

A labelled PII span counts as redacted when every letter, digit and CJK character of it lies
inside a redacted span (a partly redacted phone still leaks). A redacted span is correct when
it overlaps a labelled PII span; keep-spans (amounts, dates, times, percentages, reference
numbers, look-alike words) must survive verbatim. Precision = correct redacted spans / all
redacted spans; "survive" = keep-spans left intact / all keep-spans.
"""

from __future__ import annotations

import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._evalkit import Tally, parser, pct, read_rows, share
from bench.figure import Figure
from coaching.redact import find_pii

DEFAULT = Path(__file__).with_name("data") / "pii_eval.jsonl"
# Detector kinds → labelled kinds.
KIND = {"mobile": "phone", "phone": "phone"}


@dataclass
class Result(Tally):
    """Per kind (Tally): `tp`/`fn` = labelled PII spans redacted or not; `ok`/`bad` = redacted
    spans by detector kind overlapping a labelled span or not."""

    keep_ok: Counter = field(default_factory=Counter)
    keep_bad: Counter = field(default_factory=Counter)
    forms: Counter = field(default_factory=Counter)
    form_miss: Counter = field(default_factory=Counter)

    def recall(self) -> float:
        return self.kind_recall()

    def precision(self) -> float:
        return self.kind_precision()

    def survive(self) -> float:
        return share(self.keep_ok, self.keep_bad)


def _significant(ch: str) -> bool:
    return ch.isalnum()


def evaluate(path: Path = DEFAULT) -> Result:
    res = Result()
    for row in read_rows(path):
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
            if not ok:
                res.form_miss[form] += 1
            res.labelled(g["kind"], ok, f"MISS {g['kind']:8} {text[a:b]!r} in {row['id']}: {text}")
        for s in spans:
            res.flagged(
                KIND.get(s.kind, s.kind),
                any(s.start < g["end"] and g["start"] < s.end for g in row["pii"]),
                f"FALSE {s.kind:7} {s.value!r} in {row['id']}: {text}",
            )
        for k in row.get("keep", []):
            a, b = k["start"], k["end"]
            if any(a < s.end and s.start < b for s in spans):
                res.keep_bad[k["kind"]] += 1
                res.misses.append(f"BROKE {k['kind']:8} {text[a:b]!r} in {row['id']}: {text}")
            else:
                res.keep_ok[k["kind"]] += 1
    return res


def report(res: Result, misses: int = 30) -> str:
    lines = res.table("kind", 10, "spans", 6)
    lines.append(
        f"{'overall':10} {100 * res.recall():7.1f}% {100 * res.precision():9.1f}%"
        f" {sum(res.tp.values()) + sum(res.fn.values()):6}"
        f" {sum(res.ok.values()) + sum(res.bad.values()):8}"
    )
    lines.append("")
    lines.append(f"{'must survive':14} {'intact':>8} {'spans':>6}")
    for k in sorted(set(res.keep_ok) | set(res.keep_bad)):
        n = res.keep_ok[k] + res.keep_bad[k]
        lines.append(f"{k:14} {pct(res.keep_ok[k], n):>8} {n:6}")
    lines.append(f"{'overall':14} {100 * res.survive():7.1f}%")
    if res.form_miss:
        lines.append("")
        lines.append(
            "missed written forms: "
            + ", ".join(f"{f} {res.form_miss[f]}/{res.forms[f]}" for f in sorted(res.form_miss))
        )
    return "\n".join(lines + res.listing(misses))


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
    args = parser(__doc__ or "", DEFAULT, 30).parse_args()
    print(report(evaluate(args.data), args.misses))


if __name__ == "__main__":
    main()
