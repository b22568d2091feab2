"""Print the column reference of every record kind as Markdown (used in docs/data-formats.md).

python -m coaching.ingest.docs
"""

from __future__ import annotations

from coaching.ingest.kinds import KINDS


def columns_markdown() -> str:
    out: list[str] = []
    for kind in KINDS.values():
        key = ", ".join(kind.natural_key)
        out.append(f"### `{kind.name}` — {kind.title}\n")
        out.append(f"Natural key (upsert): `{key}`.\n")
        out.append(
            "| column | Chinese headers | other headers | type | required | example | notes |"
        )
        out.append("|---|---|---|---|---|---|---|")
        for c in kind.columns:
            out.append(
                f"| `{c.name}` | {' / '.join(c.zh)} | {' / '.join(c.aliases) or '—'} | {c.type} "
                f"| {'yes' if c.required else 'no'} | {c.example or '—'} | {c.doc} |"
            )
        out.append("")
    return "\n".join(out)


if __name__ == "__main__":
    print(columns_markdown())
