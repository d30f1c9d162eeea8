"""Automation: Cloudinary changes reach the store without the dialog.

`rules` (what an automation rule is: the sync's LinkRule plus a filter and
`on_delete`), `events` (what a notification body names, pure), `relink`
(touched assets -> the batches that re-link their groups whole), `flush`
(the coalesced run of a store's pending notifications, debounced),
`products` (products/create and products/update), `daily` (the
reconciliation). What AssetLink linked where is jobs.asset_links; Cloudinary
is reached through shopify_app.cloudinary_admin.
"""
