"""Typed failures: a violation of one requirement as data, carried to every report.

A :class:`Failure` says what was checked, what was expected, what came back and where (the
operation, the request as a curl, the answer's status, an excerpt of its body, the headers that say
who answered), like schemathesis' typed failure classes. Every report renders its reason from it:
the terminal, ``summary.md``, ``conformance.json``, the JUnit message and the HTML matrix. Nothing
downstream parses failure text.

Two failures are the same violation when their :attr:`Failure.key` is (requirement, operation,
kind); a requirement's reason is its first distinct failure, and its count of distinct failures is
reported beside it.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, replace
from typing import Any, Iterable

from conformance.runtime import layers
from conformance.runtime.observed import Observed
from conformance.runtime.redaction import redact

__all__ = ["Failure", "Observed", "dump", "load"]


@dataclass(frozen=True)
class Failure:
    """A violation of one requirement: what was checked, expected and got, on which answers."""

    requirement_id: str
    #: what was checked, in the contract's words: "POST on the defined path /tariffs"
    check: str
    #: what the requirement expects: "HTTP 405 with code METHOD_NOT_ALLOWED"
    expected: str = ""
    #: what came back, when it says more than the first answer's status and excerpt
    got: str = ""
    #: the operation of the spec it was seen on ("GET /stations"), when known
    operation: str | None = None
    #: what makes two failures of the requirement on one operation the same violation
    kind: str = ""
    evidence: tuple[Observed, ...] = ()
    #: a server error or a lost answer that did not repeat when the request was sent again
    transient: bool = False

    @property
    def key(self) -> tuple[str, str, str]:
        """(requirement, operation, kind): the operation (else the method of the request, for a path the
        spec does not define), and without a kind the check with its values left out, so that one rule
        broken on many records or values is one violation."""
        where = self.operation or (self.evidence[0].method if self.evidence else "")
        return self.requirement_id, where, self.kind or _shape(self.check)

    @property
    def curl(self) -> str | None:
        return self.evidence[0].curl if self.evidence else None

    @property
    def layer(self) -> layers.Layer | None:
        """The layer that made the failing answer (the first evidence a layer made), if any."""
        return next((o.layer for o in self.evidence if o.layer is not None and o.layer.generated), None)

    @property
    def cache(self) -> str | None:
        return next((o.cache for o in self.evidence if o.cache), None)

    def reason(self) -> str:
        """One line: what was checked, expected and got, and who answered."""
        got = self.got or (self.evidence[0].answer() if self.evidence else "")
        parts = [self.check]
        if self.expected:
            parts.append(f"expected {self.expected}")
        if got:
            parts.append(f"got {got}")
        first = next((o for o in self.evidence if o.notes()), None)
        notes = first.notes() if first is not None else []
        text = "; ".join(p for p in parts if p)
        if notes:
            text += " [" + "; ".join(notes) + "]"
        return redact(" ".join(text.split()))

    def with_operation(self, operation: str | None) -> "Failure":
        return self if self.operation or not operation else replace(self, operation=operation)

    def to_dict(self) -> dict[str, Any]:
        return {"requirement": self.requirement_id, "check": self.check, "expected": self.expected,
                "got": self.got, "operation": self.operation, "kind": self.kind, "transient": self.transient,
                "reason": self.reason(), "curl": self.curl,
                "answered_by": self.layer.product if self.layer else None,
                "cache": self.cache, "evidence": [o.to_dict() for o in self.evidence]}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Failure":
        return cls(requirement_id=data["requirement"], check=data["check"], expected=data.get("expected", ""),
                   got=data.get("got", ""), operation=data.get("operation"), kind=data.get("kind", ""),
                   transient=bool(data.get("transient")),
                   evidence=tuple(Observed.from_dict(o) for o in data.get("evidence", ())))

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> "Failure":
        return cls.from_dict(json.loads(text))

    def describe(self) -> str:
        """Several lines for a report row: the reason, then each request and its answer."""
        lines = [self.reason()]
        for observed in self.evidence[:3]:
            lines += [f"request:  {observed.curl}", f"response: {observed.answer()}"]
            if observed.headers:
                lines.append("          " + ", ".join(f"{k}: {v}" for k, v in observed.headers))
        return redact("\n".join(lines))


def transient_errors(events: list[tuple[dict, dict]], requests: int) -> Failure | None:
    """TRN-04's finding for the server errors and lost answers that did not repeat when the request
    was sent again (``events``: the evidence of both attempts of each, as the ledger recorded them),
    out of the run's ``requests``; None when there were none."""
    if not events:
        return None
    counts: dict[str, int] = {}
    for first, _ in events:
        what = "no HTTP answer" if first.get("status") is None else f"HTTP {first['status']}"
        counts[what] = counts.get(what, 0) + 1
    answered = ", ".join(f"{what} ({n})" if len(counts) > 1 else what for what, n in counts.items())
    first, retried = events[0]
    return Failure("TRN-04", "every request the suite sent", expected="no 5xx and an answer to each",
                   got=f"transient: {len(events)} of {requests} requests answered {answered}; each succeeded when "
                       "sent again", kind="transient", transient=True,
                   evidence=(Observed.from_dict(first), Observed.from_dict(retried)))


def dump(failures: Iterable[Failure]) -> str:
    """JSON lines (a report property that survives pytest-xdist)."""
    return "\n".join(f.to_json() for f in failures)


def load(text: str | None) -> list[Failure]:
    return [Failure.from_json(line) for line in (text or "").splitlines() if line.strip()]


_VALUES = re.compile(r"'[^']*'|\"[^\"]*\"|\[[^\]]*\]|-?\d+(?:\.\d+)?")


def _shape(text: str) -> str:
    """``text`` with its quoted values, lists and numbers replaced by ``…``."""
    return _VALUES.sub("…", text)
