"""Failure messages that read like the contract: the requirement, what was violated, and each
request as a runnable curl command (key redacted) with what came back.

A :class:`Violation` carries the IDs of the requirements it breaks; the plugin records the verdict
against those IDs, not against the test that raised it. A test whose own requirement could not be
judged because another requirement broke first (a walk for SRCH-01 stopped by a PAGE-04 violation)
reports its requirement as blocked by that one.
"""

from __future__ import annotations

from typing import Any, Sequence

from conformance.contract import requirements
from conformance.runtime.client import Exchange
from conformance.runtime.redaction import redact


class Violation(AssertionError):
    """A requirement of the contract that the deployment broke."""

    def __init__(self, requirement_ids: str | Sequence[str], what: str = "", exchanges: tuple[Exchange, ...] = (),
                 *, text: str | None = None, judged_all: bool = False):
        ids = (requirement_ids,) if isinstance(requirement_ids, str) else tuple(requirement_ids)
        for rid in ids:
            requirements.get(rid)  # an unknown ID is a mistake in the suite: fail loudly
        self.requirement_ids: tuple[str, ...] = ids
        #: the test judged all of its requirements before it raised (schemathesis runs every check):
        #: those it does not name held; otherwise the test stopped here and they are blocked
        self.judged_all = judged_all
        super().__init__(redact(text) if text is not None else describe(ids[0], what, *exchanges))

    @property
    def requirement_id(self) -> str:
        return self.requirement_ids[0]


def describe(requirement_id: str, what: str, *exchanges: Exchange) -> str:
    req = requirements.get(requirement_id)
    lines = [req.headline(), "", f"Violated: {what}"]
    for exchange in exchanges:
        if exchange is not None:
            lines += ["", exchange.describe()]
    return redact("\n".join(lines))


def expect(condition: Any, requirement_id: str, what: str, *exchanges: Exchange) -> None:
    """Fail with the requirement's text, ``what`` and the exchanges when ``condition`` is false."""
    __tracebackhide__ = True
    if not condition:
        raise Violation(requirement_id, what, tuple(exchanges))


def expect_status(exchange: Exchange, status: int, requirement_id: str, what: str = "") -> None:
    __tracebackhide__ = True
    expect(exchange.status == status, requirement_id,
           f"{what + ': ' if what else ''}expected HTTP {status}, got {exchange.status}", exchange)
