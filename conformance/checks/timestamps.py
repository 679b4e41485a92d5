"""Timestamps of records (ISO 8601, ``Z`` allowed for UTC), parsed for comparing and filtering."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any


def parse(value: Any) -> datetime | None:
    """``value`` as a datetime (naive when it carries no offset), or None when it is not ISO 8601."""
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None


def parse_utc(value: Any) -> datetime | None:
    """``value`` as an aware datetime, read as UTC when it carries no offset, or None."""
    parsed = parse(value)
    if parsed is None:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)
