"""Step 4, order: the galleries this run changed are read back (where
Shopify puts added media is not documented) and `productReorderMedia` is sent
only where the order differs, several products per request under aliases;
its Jobs are then waited for cheaply."""
from __future__ import annotations

from typing import Sequence

from jobs.planner.plan import reorder_moves
from shopify_app.admin_api import queries

from . import aliases
from .record import ProductWork, Work
from .state import read_galleries

MUTATION_COST = 10
ALIASES_PER_REQUEST = 20          # 20 mutations = 200 points: well under the 1,000 per-query cap
JOBS_PER_REQUEST = 100            # `job(id)` reads of 1 point each


def reorder(work: Work) -> None:
    # Only galleries this run changed, or whose order the plan changes, are read back.
    changed = [p for p in work.active() if p.removed or p.new_media or p.gallery != list(p.state.gallery)]
    actual = read_galleries(work.client, [p.product_id for p in changed])
    todo: list[tuple[ProductWork, list[tuple[str, int]]]] = []
    for product in changed:
        current = actual.get(product.product_id)
        if current is None:
            continue
        wanted = set(product.gallery)
        present = set(current)
        desired = [m for m in product.gallery if m in present] + [m for m in current if m not in wanted]
        moves = reorder_moves(current, desired)
        if moves:
            todo.append((product, moves))
        product.gallery = desired
    allowed = set(map(id, work.writers(p for p, _ in todo)))
    todo = [(p, moves) for p, moves in todo if id(p) in allowed]
    jobs: list[tuple[ProductWork, str]] = []
    for start in range(0, len(todo), ALIASES_PER_REQUEST):
        jobs += _send_reorders(work, todo[start:start + ALIASES_PER_REQUEST])
    wait_for_jobs(work, jobs)


def _send_reorders(work: Work, chunk: list[tuple[ProductWork, list[tuple[str, int]]]]
                   ) -> list[tuple[ProductWork, str]]:
    document = aliases.aliased_document(queries.PRODUCT_REORDER_MEDIA, len(chunk))
    variables = aliases.aliased_variables(
        [{"id": p.product_id, "moves": [{"id": m, "newPosition": str(i)} for m, i in moves]} for p, moves in chunk])
    data = work.aliased(document, variables, MUTATION_COST * len(chunk), [p for p, _ in chunk],
                        "productReorderMedia")
    jobs: list[tuple[ProductWork, str]] = []
    for (product, _), payload in zip(chunk, aliases.aliased_results(data, len(chunk))):
        errors = (payload or {}).get("mediaUserErrors") or []
        job = (payload or {}).get("job")
        if errors or not job:
            product.errors.append("productReorderMedia: " + ("; ".join(e.get("message") or "" for e in errors)
                                                             or "no job"))
            continue
        product.wrote = True
        if not job.get("done"):
            jobs.append((product, job["id"]))
    return jobs


def wait_for_jobs(work: Work, jobs: list[tuple[ProductWork, str]]) -> None:
    """Wait for the reorder Jobs without polling each one each time: poll
    the newest (1 point) until it is done, then read the galleries back
    (which also checks the order came out as planned); only products whose
    order is not there yet have their own Job polled."""
    options = work.options.job_poll
    clock, sleep = work.options.clock, work.options.sleep
    pending = list(jobs)
    started = clock()
    interval = options.first_wait
    while pending:
        sleep(interval)
        interval = min(interval * options.growth, options.max_interval)
        timed_out = clock() - started >= options.max_total
        if not timed_out and not jobs_done(work, [pending[-1][1]])[0]:
            continue
        actual = read_galleries(work.client, [p.product_id for p, _ in pending])
        off = [(p, j) for p, j in pending if actual.get(p.product_id) != p.gallery]
        if not off:
            return
        done = jobs_done(work, [j for _, j in off])
        pending = []
        for (product, job_id), finished in zip(off, done):
            if finished or timed_out:
                product.errors.append(
                    "the gallery order is not as planned (changed in Shopify meanwhile?)" if finished else
                    f"Shopify had not applied the new media order after {options.max_total:.0f} s")
            else:
                pending.append((product, job_id))


def jobs_done(work: Work, job_ids: Sequence[str]) -> list[bool]:
    out: list[bool] = []
    for start in range(0, len(job_ids), JOBS_PER_REQUEST):
        chunk = list(job_ids[start:start + JOBS_PER_REQUEST])
        document = aliases.aliased_document(queries.JOB_STATUS, len(chunk))
        data = work.client.execute(document, aliases.aliased_variables([{"id": j} for j in chunk]),
                                   expected_cost=len(chunk))
        out += [bool((node or {}).get("done")) for node in aliases.aliased_results(data, len(chunk))]
    return out
