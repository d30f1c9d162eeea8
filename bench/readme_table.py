"""The README's performance table from bench/merchant_path.py's --json files (not a test).

    .venv/bin/python bench/merchant_path.py --json runs/250-standard.json          # ... one per row
    .venv/bin/python bench/readme_table.py runs/250-standard.json runs/10000-standard.json ...

One row per run (the first run, then the identical repeat), in the order the
files are given. Cost and request figures are deterministic; wall-clock ones
depend on the machine.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

PLAN_NAMES = {"standard": "Standard", "advanced": "Advanced", "plus": "Plus", "enterprise": "Enterprise",
              "unlimited": "no rate limit"}
HEADER = ("| path measured | store | run | requests | cost | points / image | points / product | wall | products / min "
          "| THROTTLED | wall ÷ rate-limit floor |\n"
          "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")


def rows(result: dict[str, Any]) -> list[str]:
    products, plan = result["products"], PLAN_NAMES.get(result["plan"], result["plan"])
    syncs = -(-result["images"] // 1000)
    what = (f"{result['images']:,} images → {products:,} products ({result['images'] // products} each), "
            f"{result.get('mode', 'append')}, {syncs} sync{'s' if syncs > 1 else ''}")
    out = []
    for key, label in (("first", what), ("repeat", "the same again")):
        f = result.get(key)
        if not f:
            continue
        floor = f"{f['vs_floor']:.2f}× of {f['floor_s']:.0f} s" if f.get("vs_floor") else "cost fits one bucket"
        writes = f"{f['requests']:,} ({f['writes']} writes)"
        out.append(f"| merchant path | {plan} | {label} | {writes} | {f['actual_cost']:,} | "
                   f"{f['points_per_image']:.3f} | {f['points_per_product']:.2f} | {f['wall_s']:.1f} s | "
                   f"{f['products_per_min']:,} | {f['throttled']} | {floor} |")
    return out


def main(paths: list[str]) -> None:
    print(HEADER)
    for path in paths:
        for row in rows(json.loads(Path(path).read_text())):
            print(row)


if __name__ == "__main__":
    main(sys.argv[1:])
