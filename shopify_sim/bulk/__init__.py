"""Bulk operations (`bulkOperationRunQuery`, `bulkOperationRunMutation`,
`bulkOperationCancel`, `bulkOperation`, `bulkOperations`,
`currentBulkOperation`) as Shopify documents them.

Sources (cited again where each rule is applied):

- [G-Q] the bulk query guide, https://shopify.dev/docs/api/usage/bulk-operations/queries:
  "In API versions 2026-01 and higher, you can run up to five bulk query
  operations at a time per shop. In API versions prior to 2026-01, you can run
  only one bulk operation of each type … at a time per shop"; the operation
  restrictions (at least one connection, at most five, nesting at most two
  levels, no top-level `node`/`nodes`); the JSONL output with `__parentId`;
  "must complete within 10 days"; the `bulk_operations/finish` webhook.
- [G-M] the bulk import guide, https://shopify.dev/docs/api/usage/bulk-operations/imports
  (stagedUploadsCreate with resource BULK_MUTATION_VARIABLES, one JSONL line of
  variables per mutation, results as JSONL).
- [C-2026-01] the changelog *Faster bulk operations* (2026-01,
  https://shopify.dev/changelog/faster-bulk-operations): any mutation may run
  in bulk, uploads up to 100 MB, five concurrent operations per app and shop.
- [S] the 2026-10 schema's descriptions: `bulkOperationRunQuery` ("at least one
  connection field and supports up to five connections with a maximum nesting
  depth of two levels", "Results remain available for seven days"), the
  concurrency limit "depends on the API version" (deferring to [G-Q]),
  `BulkOperation.objectCount`/`rootObjectCount` (running counts), `url`/
  `partialDataUrl` ("expires 7 days after"), `bulkOperations(query:)`'s filter
  table, `groupObjects`.
- [CAP] the recorded conformance captures (tests/conformance_data, area
  bulk-operations): the wording of userErrors and top-level errors, the JSONL
  byte format (Ruby's JSON: `\\/`, `\\u0026`), status transitions as observed.

Modules: `model` (the operation record and its lifecycle over time), `rules`
(which documents may run in bulk), `jsonl` (Shopify's line format), `export`
(running a query into lines), `imports` (running a mutation per line),
`lifecycle` (advancing operations as simulated time passes), `storage` (the
staged-upload bucket and the result files).
"""
