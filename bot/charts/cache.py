"""Charts rendered off the event loop, once per distinct data.

A chart costs a few hundred ms of matplotlib; the file name carries a hash of the data it
shows, so tapping the same button again (or a colleague asking for the same team's heat map)
sends the PNG already on disk. Drawing runs in the chart process (bot.charts.worker), written
to a temporary name and moved into place, so a half-written file is never sent; older versions
of the same chart are removed when a new one is drawn.
"""

from __future__ import annotations

import hashlib
import os
import re
import uuid
from pathlib import Path

from bot.charts.worker import Chart, draw

_UNSAFE = re.compile(r"[^\w-]")


async def render_once(directory: Path, stem: str, chart: Chart) -> Path:
    """The chart `stem` for the chart's data (its arguments have a faithful repr)."""
    # The stem names a person or team (an employee number is any text an import gave it):
    # no path separator and no glob pattern may come from it.
    stem = _UNSAFE.sub("_", stem)
    key = (chart.func, chart.args, sorted(chart.kwargs.items()))
    digest = hashlib.sha256(repr(key).encode()).hexdigest()[:16]
    path = directory / f"{stem}-{digest}.png"
    if path.exists():
        return path
    tmp = directory / f".{stem}-{uuid.uuid4().hex}.png"
    try:
        await draw(chart, tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    for old in directory.glob(f"{stem}-*.png"):
        if old != path and len(old.name) == len(path.name):
            old.unlink(missing_ok=True)
    return path
