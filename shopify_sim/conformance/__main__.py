"""python -m shopify_sim.conformance ROOT [--area AREA ...] [--verbose]

Replays every captured scenario under ROOT against a fresh simulator and
prints one line per scenario, then exactly `N passed, N failed`, then the
scenarios that could not be replayed and why, and how the simulator's query
costs compare with Shopify's. Exits 1 when any scenario fails.
"""
from __future__ import annotations

import argparse
import collections
import sys

from . import run


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m shopify_sim.conformance", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("root", help="directory laid out like config/parity-specs, config/parity-requests, fixtures")
    parser.add_argument("--area", action="append", help="only this area (repeatable)")
    parser.add_argument("-v", "--verbose", action="store_true", help="print every difference of failures")
    args = parser.parse_args(argv)

    report = run(args.root, args.area)
    for result in report.results:
        if result.status == "not-replayed":
            continue
        line = f"{'PASS' if result.status == 'passed' else 'FAIL'} {result.name}"
        if result.status == "failed" and result.details:
            shown = result.details if args.verbose else result.details[:1]
            line += " — " + " | ".join(d[:400] if not args.verbose else d for d in shown)
        print(line)
    passed, failed = len(report.by_status("passed")), len(report.by_status("failed"))
    skipped = report.by_status("not-replayed")
    print(f"{passed} passed, {failed} failed")
    print(f"{len(skipped)} not replayed")
    for result in skipped:
        print(f"  NOT REPLAYED {result.name}: {result.details[0] if result.details else 'no reason'}")
    per_area: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    for result in report.results:
        per_area[result.area][result.status] += 1
    for area, counts in sorted(per_area.items()):
        print(f"  {area}: {counts['passed']} passed, {counts['failed']} failed, "
              f"{counts['not-replayed']} not replayed")
    costs = report.cost_summary()
    for kind in ("requested", "actual"):
        c = costs[kind]
        print(f"{kind} query cost: {c['exact']}/{c['total']} match Shopify exactly, "
              f"largest difference {c['max_difference']}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
