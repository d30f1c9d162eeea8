"""Matching: which Shopify products (and variants) a Cloudinary value links
to. `fields` (what can be matched), `search` (packing lookups into few
Shopify searches, pure) and `matcher` (resolve a field, find products by
values; MatchingError for input that can't be matched). Used by the sync
job's planning and, as thin HTTP, by the bridge's /fields and /matches."""
from .fields import FieldSpec
from .matcher import (FieldNotInStore, FieldNotMatchable, FieldNotSearchable, MatchingError, MatchResult,
                      ValuesTooBroad, find_matches, resolve_field)

__all__ = ["FieldNotInStore", "FieldNotMatchable", "FieldNotSearchable", "FieldSpec", "MatchResult", "MatchingError",
           "ValuesTooBroad", "find_matches", "resolve_field"]
