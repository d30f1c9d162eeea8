"""An automation rule: the same match, link mode, position, order and
settings model as a dialog sync (jobs.planner.LinkRule, one definition),
plus which assets it follows (`filter`) and what a deletion does."""
from __future__ import annotations

from typing import Annotated, Any, Iterable, Literal, Mapping, Optional

from pydantic import BaseModel, ConfigDict, Field

from jobs.planner.request import POSITION_RULE, LinkRule

MAX_RULES = 10
Tag = Annotated[str, Field(min_length=1, max_length=255, pattern=r"^[^\x00-\x1f]+$")]


class RuleFilter(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    folder: Optional[str] = Field(None, max_length=1024, pattern=r"^[^\x00-\x1f]*$",
                                  description="Only assets in this asset folder or below it (null or \"\": any).")
    tags: list[Tag] = Field(default_factory=list, max_length=50,
                                      description="Only assets carrying every one of these tags.")


class AutomationRule(LinkRule):
    """One rule of an automation (PUT /automation `rules[]`)."""

    model_config = ConfigDict(extra="forbid", strict=True, json_schema_extra=POSITION_RULE)

    filter: RuleFilter = Field(default_factory=RuleFilter)
    on_delete: Literal["unlink", "keep"] = Field(
        "unlink", description="unlink: a deleted asset leaves every product; keep: it stays.")

    def follows(self, asset: Mapping[str, Any]) -> bool:
        """Whether an asset (as Cloudinary returns it) is one this rule links."""
        folder = (self.filter.folder or "").strip("/")
        if folder:
            where = str(asset.get("asset_folder") or "").strip("/")
            if where != folder and not where.startswith(folder + "/"):
                return False
        tags = set(asset.get("tags") or [])
        return all(tag in tags for tag in self.filter.tags)

    def values_of(self, asset: Mapping[str, Any]) -> list[str]:
        """The asset's match values (a list value gives several groups)."""
        field = self.match.cloudinary_field
        raw = asset.get("tags") if field == "tags" else (asset.get("metadata") or {}).get(field)
        return match_values(raw)


def match_values(raw: Any) -> list[str]:
    items: Iterable[Any] = raw if isinstance(raw, list) else [raw]
    return [str(v).strip() for v in items if v is not None and not isinstance(v, (dict, list))
            and str(v).strip()]


def norm(value: str) -> str:
    """How group values compare (the planner's rule: trimmed, case-insensitive)."""
    return value.strip().casefold()


MODE_WORDS = {"append": "added after the product's other images", "prepend": "placed before its other images",
              "reset": "replacing its whole gallery", "overwrite": "replacing its images one for one",
              "position": "inserted at position {position}"}


def in_words(rule: AutomationRule) -> str:
    """A rule as the merchant reads it in Settings."""
    field = "tags" if rule.match.cloudinary_field == "tags" else f"metadata “{rule.match.cloudinary_field}”"
    where = []
    if rule.filter.folder:
        where.append(f"in the folder “{rule.filter.folder}”")
    if rule.filter.tags:
        where.append("tagged " + ", ".join(f"“{t}”" for t in rule.filter.tags))
    order = f", ordered by “{rule.order_by}”" if rule.order_by else ""
    deletion = ("Deleting an asset in Cloudinary removes it from the products." if rule.on_delete == "unlink"
                else "Deleting an asset in Cloudinary leaves it on the products.")
    return (f"Assets{(' ' + ' and '.join(where)) if where else ''} whose {field} equals a product's "
            f"{rule.match.shopify_field.replace('_', ' ')} are linked to it, "
            f"{MODE_WORDS[rule.link_mode].format(position=rule.position)}{order}. {deletion}")
