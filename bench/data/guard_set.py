"""Shared by the guard-set builders: one labelled line as JSON, and the file written."""

from __future__ import annotations

import json
from pathlib import Path


def row(prefix: str, i: int, text: str, labels: list[str], ctx: dict, kind: str) -> dict:
    return {
        "id": f"{prefix}{i:03d}",
        "lang": "en" if text.isascii() else "zh",
        "text": text,
        "labels": labels,
        "ctx": ctx,
        "kind": kind,
        "form": "plain",
    }


def write(name: str, rows: list[dict]) -> None:
    out = Path(__file__).with_name(name)
    with out.open("w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    print(f"{out}: {len(rows)} lines")


def build(prefix: str, name: str, violations: list, compliant: list) -> None:
    """Violations (category, ctx, text) first, then compliant lines (kind, ctx, text)."""
    rows = [
        row(prefix, i + 1, t, [c], ctx, "violation") for i, (c, ctx, t) in enumerate(violations)
    ]
    n = len(violations)
    rows += [row(prefix, n + i + 1, t, [], ctx, k) for i, (k, ctx, t) in enumerate(compliant)]
    write(name, rows)
