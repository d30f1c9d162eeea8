"""The Link to Products planner: pure decisions, no I/O.

settings -> a connection's settings and a batch's overrides (transformation: their grammar)
request  -> the contract's sync request
grouping -> groups by the match field (exclusions, swatches split out)
ordering -> order within a group
naming   -> filenames (and the theme snippet's decoder) and alt text
delivery -> Cloudinary delivery URLs (image, video still with play button, video)
productmedia -> the cloudinary.productmedia_v1 document
plan     -> what a plan is (target gallery, rows, document) and how the executor resolves it
planning -> groups to products, then each product's plan in named stages, for every link mode
"""
from .grouping import Group, Grouping, build_groups
from .plan import (Action, PlanContext, PlannedAsset, ProductMatch, ProductPlan, ProductState, ProductTarget,
                   Slot, SyncPlan, reorder_moves, resolve)
from .planning import assign_groups, plan_product, plan_sync, unplaced_rows
from .productmedia import ProductMediaEntry, dump_document, parse_document
from .request import Asset, SyncRequest
from .settings import Settings, SettingsOverride

__all__ = [
    "Action", "Asset", "Group", "Grouping", "PlanContext", "PlannedAsset", "ProductMatch", "ProductMediaEntry",
    "ProductPlan", "ProductState", "ProductTarget", "Settings", "SettingsOverride", "Slot", "SyncPlan",
    "SyncRequest", "assign_groups", "build_groups", "dump_document", "parse_document", "plan_product",
    "plan_sync", "reorder_moves", "resolve", "unplaced_rows",
]
