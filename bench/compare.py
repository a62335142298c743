"""Two runs of ``bench/run.py --out`` side by side: every scenario's throughput and one-connection
latencies before and after, with the ratio after / before.

    .venv/bin/python bench/compare.py before.json after.json [--markdown]
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path
from typing import Any


def _runs(path: Path) -> dict[str, dict[str, dict[str, Any]]]:
    """``{run label: {scenario: row}}`` of one ``--out`` file."""
    return {
        run["label"]: {row["name"]: row for row in run["rows"]}
        for run in json.loads(path.read_text())
    }


def _ratio(after: float, before: float) -> str:
    return f"{after / before:.2f}" if before else "-"


def _rate(value: float) -> str:
    """Requests per second; a scenario timed otherwise (adding members) has none."""
    return "—" if math.isnan(value) else f"{value:,.0f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("before", type=Path)
    parser.add_argument("after", type=Path)
    parser.add_argument("--markdown", action="store_true", help="print Markdown tables")
    args = parser.parse_args()
    before, after = _runs(args.before), _runs(args.after)
    columns = (
        "scenario",
        "req/s before",
        "req/s after",
        "1 conn p50 before",
        "1 conn p50 after",
        "p50 after/before",
        "1 conn p99 before",
        "1 conn p99 after",
    )
    for label, rows in after.items():
        old = before.get(label, {})
        print(f"\n{'**' + label + '**' if args.markdown else label}\n")
        if args.markdown:
            print("| " + " | ".join(columns) + " |")
            print("|" + "---|" * len(columns))
        for name, row in rows.items():
            was = old.get(name)
            if was is None:
                continue
            cells = [
                name,
                _rate(was["rps"]),
                _rate(row["rps"]),
                f"{was['p50_1']:.2f}",
                f"{row['p50_1']:.2f}",
                _ratio(row["p50_1"], was["p50_1"]),
                f"{was['p99_1']:.2f}",
                f"{row['p99_1']:.2f}",
            ]
            if args.markdown:
                print("| " + " | ".join(cells) + " |")
            else:
                print("  ".join(f"{cell:>10}" for cell in cells[1:]), cells[0])


if __name__ == "__main__":
    main()
