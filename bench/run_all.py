"""Run every benchmark in bench/ and print one table (`make bench`).

    .venv/bin/python bench/run_all.py [--full] [--only fanout,scoring] [--strict] [-v]

A bench takes part by defining `figures(quick: bool) -> list[Figure]` (see bench/figure.py and
bench/README.md); it is found by reading the module's source, and each runs in its own Python
process (CPU pinning, memory figures and crashes stay its own). Its printed output goes to
`<log dir>/<name>.log` (shown inline with -v). Quick mode is the default; `--full` runs the sizes
the targets are stated for. COACHBOT_BENCH_DATABASE_URL points the benches that can use
PostgreSQL at a scratch database (they wipe it); without it they use temporary SQLite files.
Exit status: 0, or 1 with --strict when a target is missed or a bench failed.
"""

from __future__ import annotations

import argparse
import ast
import importlib.util
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
MARK = "@@bench-figures@@ "
NOT_BENCHES = {"run_all", "figure"}


def discover(where: Path = HERE) -> list[str]:
    """Bench modules defining a top-level `figures` function, by name, without importing them."""
    out = []
    for path in sorted(where.glob("*.py")):
        if path.stem in NOT_BENCHES or path.stem.startswith("_"):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        if any(isinstance(n, ast.FunctionDef) and n.name == "figures" for n in tree.body):
            out.append(path.stem)
    return out


def child(name: str, quick: bool, where: Path = HERE) -> None:
    """In the bench's own process: import it, run `figures`, print them for the parent."""
    sys.path[:0] = [str(ROOT), str(where)]
    spec = importlib.util.spec_from_file_location(f"bench_{name}", where / f"{name}.py")
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod
    spec.loader.exec_module(mod)
    figs = mod.figures(quick)
    print(MARK + json.dumps([f.to_dict() for f in figs]), flush=True)


def _fmt(v: float | None, unit: str = "") -> str:
    if v is None:
        return "-"
    s = f"{v:,.0f}" if abs(v) >= 100 else f"{v:,.2f}" if abs(v) >= 1 else f"{v:.3g}"
    return f"{s} {unit}".strip()


def table(rows: list[dict]) -> str:
    head = ("bench", "figure", "value", "baseline", "ratio", "target", "result")
    body = []
    for r in rows:
        ratio = r["value"] / r["baseline"] if r.get("baseline") else None
        result = {True: "PASS", False: "FAIL", None: "-"}[r["ok"]]
        base = _fmt(r.get("baseline"), r["unit"])
        if r.get("baseline_name"):
            base += f" ({r['baseline_name']})"
        body.append(
            (
                r["bench"],
                r["name"],
                _fmt(r["value"], r["unit"]),
                base,
                f"{ratio:.2f}x" if ratio is not None else "-",
                # A target relative to the baseline ("<= 3x baseline") carries no unit.
                f"{r['target']} {r['unit']}" if r["target"][-1:].isdigit() else r["target"],
                result,
            )
        )
    widths = [max(len(str(x[i])) for x in [head, *body]) for i in range(len(head))]
    line = lambda cols: "  ".join(str(c).ljust(w) for c, w in zip(cols, widths, strict=True))  # noqa: E731
    return "\n".join([line(head), line(["-" * w for w in widths]), *map(line, body)])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--full", action="store_true", help="the sizes the targets are stated for")
    ap.add_argument("--only", default="", help="comma-separated bench names")
    ap.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    ap.add_argument("--timeout", type=float, default=900, help="seconds per bench")
    ap.add_argument("--logs", type=Path, default=None, help="where each bench's output goes")
    ap.add_argument("-v", "--verbose", action="store_true")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    ap.add_argument("--dir", type=Path, default=HERE, help=argparse.SUPPRESS)  # for tests
    a = ap.parse_args()
    if a.child:
        child(a.child, not a.full, a.dir)
        return 0
    names = discover(a.dir)
    if a.only:
        wanted = set(a.only.split(","))
        unknown = wanted - set(names)
        if unknown:
            print(f"no such bench (with a figures function): {', '.join(sorted(unknown))}")
            return 2
        names = [n for n in names if n in wanted]
    logs = a.logs or Path(tempfile.mkdtemp(prefix="coachbot-bench-"))
    logs.mkdir(parents=True, exist_ok=True)
    mode = "full" if a.full else "quick"
    print(f"{len(names)} benches ({mode}): {', '.join(names)}; output in {logs}", flush=True)
    rows: list[dict] = []
    failed: list[str] = []
    for name in names:
        t0 = time.monotonic()
        cmd = [sys.executable, str(HERE / "run_all.py"), "--child", name, "--dir", str(a.dir)]
        cmd += ["--full"] if a.full else []
        log = logs / f"{name}.log"
        try:
            res = subprocess.run(
                cmd, cwd=ROOT, capture_output=True, text=True, timeout=a.timeout, check=False
            )
            out, err, rc = res.stdout, res.stderr, res.returncode
        except subprocess.TimeoutExpired as exc:
            out = exc.stdout.decode() if isinstance(exc.stdout, bytes) else exc.stdout or ""
            err, rc = f"timed out after {a.timeout:.0f} s", -1
        log.write_text(out + ("\n--- stderr ---\n" + err if err else ""), encoding="utf-8")
        figs = [json.loads(ln[len(MARK) :]) for ln in out.splitlines() if ln.startswith(MARK)]
        took = time.monotonic() - t0
        if rc != 0 or not figs:
            failed.append(name)
            last = (err.strip().splitlines() or ["no figures printed"])[-1]
            print(f"  {name}: FAILED in {took:.0f} s ({last}); see {log}", flush=True)
        else:
            print(f"  {name}: {len(figs[-1])} figures in {took:.0f} s", flush=True)
        if a.verbose:
            print("\n".join(ln for ln in out.splitlines() if not ln.startswith(MARK)))
        for f in figs[-1] if figs else []:
            rows.append({"bench": name, **f})
    print()
    print(table(rows))
    missed = [r for r in rows if r["ok"] is False]
    print(
        f"\n{sum(r['ok'] is True for r in rows)} met, {len(missed)} missed, "
        f"{sum(r['ok'] is None for r in rows)} without a target; "
        f"{len(failed)} bench(es) failed{': ' + ', '.join(failed) if failed else ''}"
    )
    return 1 if a.strict and (missed or failed) else 0


if __name__ == "__main__":
    sys.exit(main())
