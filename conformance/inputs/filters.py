"""Query values of the filters of a resource list (``x-resource.filters``, typed as
:class:`conformance.contract.spec.Filter`): the value that selects a record, and a date bound in the
filter's own form and time zone. FLT-* build their queries from live records with them, TEN-01 the
other tenant's values."""

from __future__ import annotations

from datetime import datetime, timezone, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

from conformance.checks.timestamps import parse_utc
from conformance.contract.spec import Filter

#: How a boolean filter spells its values (JSON's literals).
BOOLEANS = ("true", "false")


def zone(flt: Filter) -> tzinfo:
    """The time zone a date filter reads its dates in."""
    return timezone.utc if flt.timezone.upper() == "UTC" else ZoneInfo(flt.timezone)


def date_param(flt: Filter, instant: datetime) -> str:
    """``instant`` as the date filter's parameter: its format, in its time zone."""
    return instant.astimezone(zone(flt)).strftime(flt.format)


def filter_value(flt: Filter, value: Any) -> str | None:
    """The query value of ``flt`` that selects a record whose ``flt.field`` is ``value`` (as the record
    carries it): a boolean as ``true``/``false``, a timestamp as the date filter's parameter (its
    own instant), anything else as text; None when no value selects it (null, a list or an object,
    blank text, a boolean filter's non-boolean, a timestamp that is not ISO 8601)."""
    if value is None or isinstance(value, (list, dict)):
        return None
    if isinstance(value, bool):
        return BOOLEANS[0] if value else BOOLEANS[1]
    if flt.match == "boolean":
        return None
    if flt.match in ("datetime-from", "datetime-to"):
        at = parse_utc(value)
        return None if at is None else date_param(flt, at)
    text = str(value)
    return text if text.strip() else None
