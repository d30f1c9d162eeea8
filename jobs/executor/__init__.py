"""The Link to Products executor: carries the planner's ProductPlans out on
Shopify with batched, current (non-deprecated) Admin API mutations.

state       read_product_states: what the products look like now
execute     execute/start: the steps below over one shared record (record.Work)
  uploads     1. fileCreate for the chunk, resuming what the journal knows
  processing  2. wait until Shopify processed the files
  target      3a. each product's gallery and document, given what worked
  galleries   3b. fileUpdate rows (file_update: one call and its errors)
  ordering    4. read back, productReorderMedia where the order differs
  variants    5. variant images
  metafields  6. metafieldsSet
results     the ProductResult/RowResult report of each product
files       fileCreate batches, status polling with backoff, resume lookups
video       full video: streamed, size-checked download and staged upload
journal     the idempotency journal (Protocol + MemoryJournal)
definitions ensure_metafield_definitions for cloudinary.productmedia_v1 / .swatch
aliases     several single-product mutations in one request

Typical use (the sync job), one chunk of up to 250 products at a time (one
state read, a few fileCreate, one status wait and a few fileUpdate and
metafieldsSet calls serve the whole chunk; an abort is honoured before each
product's first write):

    ensure_metafield_definitions(client)             # once per sync; reads only when they exist
    states = read_product_states(client, product_ids, journal=journal, needs=ReadNeeds(variants=False, ...))
    plans = [plan_product(target, states[target.product_id], ctx) for target in targets]
    options = ExecutorOptions(stop_requested=abort_requested)
    results = execute(client, plans, states=states, journal=journal, options=options)  # per plan, in order

or `start(...)` (files made) for one chunk, then the next chunk's `start`,
then the first one's `.finish()`: the chunks overlap.

`journal` is the job's persistent Journal (see journal.py); the same journal
must be passed to read_product_states and execute of a retried job.
"""
from .definitions import ensure_metafield_definitions
from .execute import Execution, execute, start
from .files import PollOptions
from .record import ExecutorOptions
from .results import ProductResult, RowResult
from .journal import Journal, JournalRecord, MemoryJournal
from .state import MediaInfo, ReadNeeds, ReadState, read_product_states
from .video import Download, DownloadError, put_staged, stream_download

__all__ = ["Download", "DownloadError", "Execution", "ExecutorOptions", "Journal", "JournalRecord", "MediaInfo",
           "MemoryJournal", "PollOptions", "ProductResult", "ReadNeeds", "ReadState", "RowResult",
           "ensure_metafield_definitions", "execute", "put_staged", "read_product_states", "start", "stream_download"]
