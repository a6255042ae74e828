"""TikTok's own item shapes: the web "itemStruct" (TikTok-Api, page JSON) and mobile "aweme".

The mapping itself is :mod:`trendmon.producers.itemstruct`, shared with the scraper; this module
only says how to recognise each shape in a file.
"""

from __future__ import annotations

from typing import Any

from trendmon.producers.itemstruct import parse_aweme, parse_item

ITEMSTRUCT = "itemstruct"
AWEME = "aweme"
_WEB_SIGNS = ("createTime", "stats", "statsV2", "authorStats", "challenges", "textExtra")


def is_aweme(record: dict[str, Any]) -> bool:
    """Mobile items are keyed by ``aweme_id``."""
    return "aweme_id" in record


def is_itemstruct(record: dict[str, Any]) -> bool:
    """Web items have ``id`` and ``author`` beside camelCase ``stats``/``createTime``."""
    return "id" in record and "author" in record and any(key in record for key in _WEB_SIGNS)


__all__ = ["AWEME", "ITEMSTRUCT", "is_aweme", "is_itemstruct", "parse_aweme", "parse_item"]
