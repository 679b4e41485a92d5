"""Failure messages that read like the contract: the requirement, what was violated, and each
request as a runnable curl command (key redacted) with what came back."""

from __future__ import annotations

from typing import Any

from conformance import requirements
from conformance.client import Exchange
from conformance.redaction import redact


class Violation(AssertionError):
    def __init__(self, requirement_id: str, what: str, exchanges: tuple[Exchange, ...] = ()):
        self.requirement_id = requirement_id
        super().__init__(describe(requirement_id, what, *exchanges))


def describe(requirement_id: str, what: str, *exchanges: Exchange) -> str:
    req = requirements.get(requirement_id)
    lines = [f"{req.id} ({req.source}, {req.level}): {req.text}", "", f"Violated: {what}"]
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
