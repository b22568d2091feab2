"""What the labelled-set evaluations (guard_eval.py, pii_eval.py) share: reading the set, the
per-kind tally of hits, misses and false alarms, the recall/precision table and the list of
misses, and the command line. Named `_*.py`: not a bench of its own (bench/run_all.py).
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path


def read_rows(path: Path) -> Iterator[dict]:  # type: ignore[type-arg]
    """The set's JSON lines (blank lines skipped)."""
    for raw in path.read_text(encoding="utf-8").splitlines():
        if raw.strip():
            yield json.loads(raw)


def pct(a: int, b: int) -> str:
    return f"{100 * a / b:6.1f}%" if b else "     -"


def share(good: Counter, bad: Counter) -> float:  # type: ignore[type-arg]
    """good / (good + bad) over every kind; 1.0 when there is nothing to judge."""
    t = sum(good.values()) + sum(bad.values())
    return sum(good.values()) / t if t else 1.0


@dataclass
class Tally:
    """Per kind: labelled items found (`tp`) or missed (`fn`); flagged items right (`ok`) or
    false alarms (`bad`); and one line per miss or false alarm, in the order met."""

    tp: Counter = field(default_factory=Counter)  # type: ignore[type-arg]
    fn: Counter = field(default_factory=Counter)  # type: ignore[type-arg]
    ok: Counter = field(default_factory=Counter)  # type: ignore[type-arg]
    bad: Counter = field(default_factory=Counter)  # type: ignore[type-arg]
    misses: list[str] = field(default_factory=list)

    def labelled(self, kind: str, found: bool, miss: str) -> None:
        if found:
            self.tp[kind] += 1
        else:
            self.fn[kind] += 1
            self.misses.append(miss)

    def flagged(self, kind: str, right: bool, false_alarm: str) -> None:
        if right:
            self.ok[kind] += 1
        else:
            self.bad[kind] += 1
            self.misses.append(false_alarm)

    def kind_recall(self) -> float:
        return share(self.tp, self.fn)

    def kind_precision(self) -> float:
        return share(self.ok, self.bad)

    def table(self, title: str, width: int, count_name: str, count_width: int) -> list[str]:
        """Header and one row per kind: recall, precision, labelled and flagged counts."""
        lines = [
            f"{title:{width}} {'recall':>8} {'precision':>10} {count_name:>{count_width}} "
            f"{'flagged':>8}"
        ]
        for k in sorted(set(self.tp) | set(self.fn) | set(self.ok) | set(self.bad)):
            n, f = self.tp[k] + self.fn[k], self.ok[k] + self.bad[k]
            lines.append(
                f"{k:{width}} {pct(self.tp[k], n):>8} {pct(self.ok[k], f):>10} "
                f"{n:{count_width}} {f:8}"
            )
        return lines

    def listing(self, limit: int) -> list[str]:
        """A blank line and the first `limit` misses / false alarms (none when limit is 0)."""
        if not limit or not self.misses:
            return []
        out = ["", *self.misses[:limit]]
        if len(self.misses) > limit:
            out.append(f"... {len(self.misses) - limit} more")
        return out


def parser(doc: str, default: Path, misses: int) -> argparse.ArgumentParser:
    """The evaluations' common options: the labelled set and how many misses to list."""
    ap = argparse.ArgumentParser(description=doc.splitlines()[0])
    ap.add_argument("--data", type=Path, default=default)
    ap.add_argument("--misses", type=int, default=misses)
    return ap
