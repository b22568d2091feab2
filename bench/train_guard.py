"""Train the guard's second-stage model (`coaching.roleplay.guard_model`) and write
`content/guard/model.json`.

    .venv/bin/python bench/train_guard.py [--check] [--folds 5]

Training lines: every labelled set in bench/data/ EXCEPT the held-out ones
(guard_holdout*.jsonl), which are never read here. One logistic regression per category
(one-vs-rest, class-balanced); disclosure is trained and applied only on lines spoken to a
third party, crisis_pressure only after the debtor mentioned self-harm. Each category's
threshold is picked on out-of-fold scores (stratified k-fold): the lowest threshold whose
out-of-fold precision, together with the rules, stays at or above --precision. The
cross-validated figures (rules + model, each line scored by a model that never saw it) are
printed. Deterministic: same data, same model file. `--check` trains and compares with the
shipped file instead of writing it (CI: the shipped model matches its data).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
from scipy.sparse import vstack  # noqa: E402
from sklearn.feature_extraction import DictVectorizer  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.model_selection import StratifiedKFold  # noqa: E402

from coaching.roleplay.guard import check_text  # noqa: E402
from coaching.roleplay.guard_model import ANY, DEFAULT_MODEL, line_features  # noqa: E402

sys.path.insert(0, str(ROOT / "bench" / "data"))
from guard_synth import lines as synth_lines  # noqa: E402

DATA = ROOT / "bench" / "data"
SCOPE = {"disclosure": "third_party", "crisis_pressure": "crisis"}
C = 4.0
KEEP = 6000  # largest weights kept per category (the rest change scores by < 1%)


def training_rows(exclude: tuple[str, ...] = ()) -> list[dict]:
    rows = []
    for p in sorted(DATA.glob("guard_*.jsonl")):
        if p.name.startswith("guard_holdout") or p.stem in exclude:
            continue  # held out: never trained or tuned on
        rows += [json.loads(x) for x in p.read_text("utf-8").splitlines() if x.strip()]
    return rows


def _in_scope(row: dict, scope: str) -> bool:
    ctx = row.get("ctx") or {}
    return scope == "any" or bool(ctx.get(scope))


def _keep(row: dict, cat: str, scope: str) -> bool:
    """Lines a category's head is trained on: those in its scope, minus the lines where
    it is only an acceptable neighbour label. The `ANY` head (is this line a violation at
    all?) leaves out lines that are violations only in a third-party or crisis context."""
    if cat == ANY:
        return not (set(row["labels"]) & set(SCOPE))
    also = cat in row.get("also", []) and cat not in row["labels"]
    return _in_scope(row, scope) and not also


def _positive(row: dict, cat: str) -> bool:
    return bool(row["labels"]) if cat == ANY else cat in row["labels"]


def _vec(feats: set[str]) -> dict[str, float]:
    w = 1.0 / math.sqrt(len(feats)) if feats else 0.0
    return dict.fromkeys(feats, w)


def _fit(x, y):  # type: ignore[no-untyped-def]
    m = LogisticRegression(C=C, class_weight="balanced", solver="liblinear", random_state=0)
    return m.fit(x, y)


def train(rows: list[dict], folds: int, precision: float, synth: list[dict]) -> tuple[dict, dict]:
    """`synth` lines join every training fold but are never scored (not evaluation data)."""
    cats = sorted({c for r in rows for c in r["labels"]})
    feats = [line_features(r["text"]) for r in rows + synth]
    dv = DictVectorizer()
    x_all = dv.fit_transform([_vec(f) for f in feats])
    x_syn = x_all[len(rows) :]
    x_all = x_all[: len(rows)]
    names = dv.get_feature_names_out()
    rule_hits = [
        {
            v.rule
            for v in check_text(
                r["text"],
                third_party=bool((r.get("ctx") or {}).get("third_party")),
                crisis=bool((r.get("ctx") or {}).get("crisis")),
                model=None,
            )
        }
        for r in rows
    ]
    heads: dict[str, dict] = {}
    oof_all: dict[str, np.ndarray] = {}
    for cat in [*cats, ANY]:
        scope = SCOPE.get(cat, "any")
        idx = [i for i, r in enumerate(rows) if _keep(r, cat, scope)]
        y = np.array([_positive(rows[i], cat) for i in idx])
        x = x_all[idx]
        sidx = [i for i, r in enumerate(synth) if _keep(r, cat, scope)]
        xs, ys = x_syn[sidx], np.array([_positive(synth[i], cat) for i in sidx])
        oof = np.zeros(len(idx))
        skf = StratifiedKFold(n_splits=folds, shuffle=True, random_state=0)
        for tr, te in skf.split(x, y):
            m = _fit(vstack([x[tr], xs]), np.concatenate([y[tr], ys]))
            oof[te] = m.predict_proba(x[te])[:, 1]
        # Lowest threshold at which the model alone keeps the precision on OOF scores (the
        # rules were tuned on most of these lines, so the union would hide the model's errors).
        best = 0.9
        for t in np.arange(0.9, 0.19, -0.02):
            flag = oof >= t
            tp = int((flag & y).sum())
            if not tp or tp / int(flag.sum()) < precision:
                break
            best = float(round(t, 2))
        full = _fit(vstack([x, xs]), np.concatenate([y, ys]))
        coef = full.coef_[0]
        top = np.argsort(-np.abs(coef))[:KEEP]
        heads[cat] = {
            "scope": scope,
            "bias": round(float(full.intercept_[0]), 5),
            "threshold": best,
            "weights": {str(names[j]): round(float(coef[j]), 4) for j in sorted(top)},
        }
        full_oof = np.zeros(len(rows))
        full_oof[idx] = oof
        oof_all[cat] = full_oof
    model = {
        "meta": {
            "trained_on": sorted(
                p.name for p in DATA.glob("guard_*.jsonl") if not p.name.startswith("guard_holdout")
            ),
            "lines": len(rows),
            "synthetic_lines": len(synth),
            "C": C,
            "folds": folds,
            "target_precision": precision,
        },
        "heads": heads,
    }
    return model, {"oof": oof_all, "rules": rule_hits}


def cv_report(rows: list[dict], model: dict, cv: dict) -> str:
    """Cross-validated line and category figures, rules alone and rules + model."""
    out = []
    for label, use_model in (("rules only", 0), ("model only", 2), ("rules + model", 1)):
        tp = fp = fn = 0
        cat_tp: dict[str, int] = {}
        cat_n: dict[str, int] = {}
        for i, r in enumerate(rows):
            found = set(cv["rules"][i]) if use_model < 2 else set()
            if use_model:
                found |= {
                    c
                    for c, h in model["heads"].items()
                    if cv["oof"][c][i] >= h["threshold"] and _in_scope(r, h["scope"])
                }
            labels = set(r["labels"])
            if labels and found:
                tp += 1
            elif labels:
                fn += 1
            elif found:
                fp += 1
            for c in labels:
                cat_n[c] = cat_n.get(c, 0) + 1
                cat_tp[c] = cat_tp.get(c, 0) + (c in found)
        rec = tp / (tp + fn)
        prec = tp / (tp + fp) if tp + fp else 1.0
        cats = " ".join(f"{c}={100 * cat_tp[c] / cat_n[c]:.0f}" for c in sorted(cat_n))
        out.append(f"{label:14} line recall {100 * rec:5.1f}%  precision {100 * prec:5.1f}%")
        out.append(f"{'':14} category recall: {cats}")
    return "\n".join(out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--precision", type=float, default=0.97)
    ap.add_argument("--out", type=Path, default=DEFAULT_MODEL)
    ap.add_argument("--check", action="store_true")
    ap.add_argument("--no-synth", action="store_true", help="without bench/data/guard_synth.py")
    ap.add_argument("--exclude", action="append", default=[], help="also leave out this set")
    args = ap.parse_args()
    rows = training_rows(tuple(args.exclude))
    synth = [] if args.no_synth else synth_lines()
    model, cv = train(rows, args.folds, args.precision, synth)
    print(f"{len(rows)} training lines (held-out sets not read)")
    print("cross-validated (each line scored by a model trained without it):")
    print(cv_report(rows, model, cv))
    text = json.dumps(model, ensure_ascii=False, sort_keys=True, separators=(",", ":")) + "\n"
    if args.check:
        same = args.out.exists() and args.out.read_text("utf-8") == text
        print("shipped model matches its data" if same else "shipped model is STALE")
        sys.exit(0 if same else 1)
    args.out.write_text(text, encoding="utf-8")
    print(f"wrote {args.out} ({len(text) // 1024} KiB)")


if __name__ == "__main__":
    main()
