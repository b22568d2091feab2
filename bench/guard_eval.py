"""Compliance-guard quality on a labelled set: recall and precision per category and overall.

    .venv/bin/python bench/guard_eval.py [--data bench/data/guard_eval.jsonl] [--misses 40]

Line level (overall): recall = violation lines flagged / violation lines; precision =
flagged lines that are violations / flagged lines. Per category: recall = lines labelled
with it that it flagged; precision = lines it flagged that carry it as a label (or as an
acceptable secondary label, "also"). Compliant lines are broken down by kind (negation,
firm-but-legal, substring trap, crisis handled correctly …) with their false-alarm rate.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from coaching.roleplay.guard import check_text
from coaching.roleplay.guard_model import GuardModel, load_model

DEFAULT = Path(__file__).with_name("data") / "guard_eval.jsonl"


@dataclass
class Result:
    tp: Counter = field(default_factory=Counter)
    fn: Counter = field(default_factory=Counter)
    flag_ok: Counter = field(default_factory=Counter)
    flag_bad: Counter = field(default_factory=Counter)
    line: Counter = field(default_factory=Counter)  # tp fp fn tn
    kinds: Counter = field(default_factory=Counter)
    kind_fp: Counter = field(default_factory=Counter)
    forms: Counter = field(default_factory=Counter)
    form_fn: Counter = field(default_factory=Counter)
    misses: list[str] = field(default_factory=list)

    def recall(self) -> float:
        t = self.line["tp"] + self.line["fn"]
        return self.line["tp"] / t if t else 1.0

    def precision(self) -> float:
        t = self.line["tp"] + self.line["fp"]
        return self.line["tp"] / t if t else 1.0

    def cat_recall(self) -> float:
        t = sum(self.tp.values()) + sum(self.fn.values())
        return sum(self.tp.values()) / t if t else 1.0

    def cat_precision(self) -> float:
        t = sum(self.flag_ok.values()) + sum(self.flag_bad.values())
        return sum(self.flag_ok.values()) / t if t else 1.0


def evaluate(path: Path = DEFAULT, model: GuardModel | str | None = "default") -> Result:
    """`model`: "default" = rules + the shipped model; None = rules only."""
    res = Result()
    for raw in path.read_text(encoding="utf-8").splitlines():
        if not raw.strip():
            continue
        row = json.loads(raw)
        ctx = row.get("ctx") or {}
        found = {
            v.rule
            for v in check_text(
                row["text"],
                third_party=bool(ctx.get("third_party")),
                crisis=bool(ctx.get("crisis")),
                model=model,
            )
        }
        labels = set(row["labels"])
        ok = labels | set(row.get("also", []))
        res.kinds[row["kind"]] += 1
        if labels:
            res.forms[row["form"]] += 1
        if labels and found:
            res.line["tp"] += 1
        elif labels:
            res.line["fn"] += 1
            res.form_fn[row["form"]] += 1
        elif found:
            res.line["fp"] += 1
            res.kind_fp[row["kind"]] += 1
        else:
            res.line["tn"] += 1
        for c in labels:
            if c in found:
                res.tp[c] += 1
            else:
                res.fn[c] += 1
                res.misses.append(
                    f"MISS  {c:17} {row['id']} {row['text']}  (found {sorted(found)})"
                )
        for c in found:
            if c in ok:
                res.flag_ok[c] += 1
            else:
                res.flag_bad[c] += 1
                res.misses.append(
                    f"FALSE {c:17} {row['id']} {row['text']}  (labels {sorted(labels)})"
                )
    return res


def _pct(a: int, b: int) -> str:
    return f"{100 * a / b:6.1f}%" if b else "     -"


def report(res: Result, misses: int = 40) -> str:
    lines = [f"{'category':18} {'recall':>8} {'precision':>10} {'labelled':>9} {'flagged':>8}"]
    for c in sorted(set(res.tp) | set(res.fn) | set(res.flag_ok) | set(res.flag_bad)):
        n, f = res.tp[c] + res.fn[c], res.flag_ok[c] + res.flag_bad[c]
        lines.append(f"{c:18} {_pct(res.tp[c], n):>8} {_pct(res.flag_ok[c], f):>10} {n:9} {f:8}")
    lines.append(
        f"{'all categories':18} {100 * res.cat_recall():7.1f}% {100 * res.cat_precision():9.1f}%"
    )
    lines.append(
        f"{'lines (overall)':18} {100 * res.recall():7.1f}% {100 * res.precision():9.1f}%"
        f"   tp={res.line['tp']} fp={res.line['fp']} fn={res.line['fn']} tn={res.line['tn']}"
    )
    lines.append("")
    lines.append(
        "compliant lines flagged, by kind: "
        + ", ".join(
            f"{k} {res.kind_fp[k]}/{res.kinds[k]}" for k in sorted(res.kinds) if k != "violation"
        )
    )
    lines.append(
        "violations missed, by written form: "
        + ", ".join(f"{f} {res.form_fn[f]}/{res.forms[f]}" for f in sorted(res.forms))
    )
    if misses and res.misses:
        lines.append("")
        lines += res.misses[:misses]
        if len(res.misses) > misses:
            lines.append(f"... {len(res.misses) - misses} more")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=DEFAULT)
    ap.add_argument("--misses", type=int, default=40)
    ap.add_argument("--rules-only", action="store_true", help="without the second-stage model")
    ap.add_argument("--model", type=Path, help="a model file other than the shipped one")
    args = ap.parse_args()
    model: GuardModel | str | None = "default"
    if args.rules_only:
        model = None
    elif args.model:
        model = load_model(args.model)
        if model is None:
            ap.error(f"{args.model}: no such model file")
    print(report(evaluate(args.data, model), args.misses))


if __name__ == "__main__":
    main()
