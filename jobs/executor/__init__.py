"""The Link to Products executor: carries the planner's ProductPlans out on
Shopify with batched, current (non-deprecated) Admin API mutations.

state       read_product_states: one nodes(ids:) query per 50 products
execute     execute: files -> wait -> galleries -> order -> variants -> metafields
files       fileCreate batches, status polling with backoff, resume lookups
video       full video: streamed, size-checked download and staged upload
journal     the idempotency journal (Protocol + MemoryJournal)
definitions ensure_metafield_definitions for cloudinary.productmedia_v1 / .swatch
aliases     several single-product mutations in one request

Typical use (the sync job), one batch of up to ~250 products at a time (one
fileCreate, one status wait and a few fileUpdate calls serve the whole
batch; an abort is honoured between batches):

    ensure_metafield_definitions(client)             # once per sync; reads only when they exist
    states = read_product_states(client, product_ids, journal=journal)
    plans = [plan_product(target, states[target.product_id], ctx) for target in targets]
    results = execute(client, plans, states=states, journal=journal)   # ProductResult per plan, in order

`journal` is the job's persistent Journal (see journal.py); the same journal
must be passed to read_product_states and execute of a retried job.
"""
from .definitions import ensure_metafield_definitions
from .execute import ExecutorOptions, ProductResult, RowResult, execute, summarize
from .files import PollOptions
from .journal import Journal, JournalRecord, MemoryJournal
from .state import MediaInfo, ReadState, read_product_states
from .video import Download, DownloadError, put_staged, stream_download

__all__ = ["Download", "DownloadError", "ExecutorOptions", "Journal", "JournalRecord", "MediaInfo", "MemoryJournal",
           "PollOptions", "ProductResult", "ReadState", "RowResult", "ensure_metafield_definitions", "execute",
           "put_staged", "read_product_states", "stream_download", "summarize"]
