"""Compliance-guard quality on a labelled set: recall and precision per category and overall.

    .venv/bin/python bench/guard_eval.py [--data bench/data/guard_eval.jsonl] [--misses 40]

Line level (overall): recall = violation lines flagged / violation lines; precision =
flagged lines that are violations / flagged lines. Per category: recall = lines labelled
with it that it flagged; precision = lines it flagged that carry it as a label (or as an
acceptable secondary label, "also"). Compliant lines are broken down by kind (negation,
firm-but-legal, substring trap, crisis handled correctly …) with their false-alarm rate.
"""

from __future__ import annotations

import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._evalkit import Tally, parser, read_rows
from bench.figure import Figure
from coaching.roleplay.guard import check_text
from coaching.roleplay.guard_model import GuardModel, load_model

DEFAULT = Path(__file__).with_name("data") / "guard_eval.jsonl"


@dataclass
class Result(Tally):
    """Per category (Tally): `ok`/`bad` = lines it flagged that carry / do not carry it."""

    line: Counter = field(default_factory=Counter)  # tp fp fn tn
    kinds: Counter = field(default_factory=Counter)
    kind_fp: Counter = field(default_factory=Counter)
    forms: Counter = field(default_factory=Counter)
    form_fn: Counter = field(default_factory=Counter)

    def recall(self) -> float:
        t = self.line["tp"] + self.line["fn"]
        return self.line["tp"] / t if t else 1.0

    def precision(self) -> float:
        t = self.line["tp"] + self.line["fp"]
        return self.line["tp"] / t if t else 1.0

    def cat_recall(self) -> float:
        return self.kind_recall()

    def cat_precision(self) -> float:
        return self.kind_precision()


def evaluate(path: Path = DEFAULT, model: GuardModel | str | None = "default") -> Result:
    """`model`: "default" = rules + the shipped model; None = rules only."""
    res = Result()
    for row in read_rows(path):
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
            res.labelled(
                c, c in found, f"MISS  {c:17} {row['id']} {row['text']}  (found {sorted(found)})"
            )
        for c in found:
            res.flagged(
                c, c in ok, f"FALSE {c:17} {row['id']} {row['text']}  (labels {sorted(labels)})"
            )
    return res


def report(res: Result, misses: int = 40) -> str:
    lines = res.table("category", 18, "labelled", 9)
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
    return "\n".join(lines + res.listing(misses))


# The sets and floors of tests/test_guard_eval.py (CI), where the issue states none: the
# regression set and the two held-out sets (never trained or tuned on; docs/privacy-quality.md).
FLOORS = {
    "guard_eval.jsonl": (98, 98),
    "guard_holdout.jsonl": (90, 86),
    "guard_holdout2.jsonl": (95, 93),
}


def figures(quick: bool) -> list[Figure]:
    """For bench/run_all.py: line recall and precision (rules + model) on each set of FLOORS,
    and the rules alone on the held-out sets for comparison (seconds either way)."""
    from bench.figure import at_least

    out: list[Figure] = []
    for name, (rec, prec) in FLOORS.items():
        res = evaluate(DEFAULT.with_name(name))
        print(name, report(res, 0), sep="\n", end="\n\n")
        base = None if name == "guard_eval.jsonl" else evaluate(DEFAULT.with_name(name), None)
        kw = {"baseline": 100 * base.recall(), "baseline_name": "rules only"} if base else {}
        out.append(at_least(f"guard recall, {name}", 100 * res.recall(), "%", rec, **kw))
        out.append(at_least(f"guard precision, {name}", 100 * res.precision(), "%", prec))
    return out


def main() -> None:
    ap = parser(__doc__ or "", DEFAULT, 40)
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
