"""Failure messages that read like the contract: the requirement, what was violated, and each
request as a runnable curl command (key redacted) with what came back.

A :class:`Violation` carries one typed :class:`~conformance.checks.failures.Failure` per requirement
it breaks; the plugin records the verdict against those requirements, not against the test that
raised it, and every report renders the failure's reason (what was checked, expected and got). A
test whose own requirement could not be judged because another requirement broke first (a walk for
SRCH-01 stopped by a PAGE-04 violation) reports its requirement as blocked by that one.
"""

from __future__ import annotations

import json
from typing import Any, Iterable, Mapping, Sequence

from conformance.checks.failures import Failure, Observed
from conformance.contract import requirements
from conformance.runtime.client import Exchange
from conformance.runtime.redaction import redact


class Violation(AssertionError):
    """A requirement of the contract that the deployment broke."""

    def __init__(self, requirement_ids: str | Sequence[str], what: str = "", exchanges: tuple[Exchange, ...] = (),
                 *, text: str | None = None, judged_all: bool = False, expected: str = "", got: str = "",
                 kind: str = "", failures: Sequence[Failure] = ()):
        ids = (requirement_ids,) if isinstance(requirement_ids, str) else tuple(requirement_ids)
        for rid in ids:
            requirements.get(rid)  # an unknown ID is a mistake in the suite: fail loudly
        self.requirement_ids: tuple[str, ...] = ids
        #: the test judged all of its requirements before it raised (schemathesis runs every check):
        #: those it does not name held; otherwise the test stopped here and they are blocked
        self.judged_all = judged_all
        evidence = tuple(Observed.of(e) for e in exchanges if e is not None)
        given = {f.requirement_id: f for f in failures}
        #: one typed failure per requirement broken
        self.failures: tuple[Failure, ...] = tuple(
            given.get(rid) or Failure(rid, check=_first_line(what) or "the check failed", expected=expected,
                                      got=got, kind=kind, evidence=evidence)
            for rid in ids)
        if text is None:
            text = describe(ids[0], what, *exchanges, expected=expected, got=got)
        super().__init__(redact(text))

    @property
    def requirement_id(self) -> str:
        return self.requirement_ids[0]

    def reason(self) -> str:
        """The first failure's one-line reason (what was checked, expected and got)."""
        return self.failures[0].reason()


def describe(requirement_id: str, what: str, *exchanges: Exchange, expected: str = "", got: str = "") -> str:
    req = requirements.get(requirement_id)
    lines = [req.headline(), "", f"Violated: {what}"]
    if expected:
        lines.append(f"Expected: {expected}")
    if got:
        lines.append(f"Got:      {got}")
    for exchange in exchanges:
        if exchange is not None:
            lines += ["", exchange.describe()]
    return redact("\n".join(lines))


def expect(condition: Any, requirement_id: str, what: str, *exchanges: Exchange, expected: str = "",
           got: str = "", kind: str = "", judged_all: bool = False) -> None:
    """Fail with the requirement's text, ``what`` and the exchanges when ``condition`` is false.
    ``expected``/``got`` say what the requirement wants and what came back, when the first exchange's
    status and body do not say it on their own; ``kind`` tells this violation from the requirement's
    others on the same operation (default: ``what``); ``judged_all``: this is the test's last check, its
    other requirements were judged (and held) before it, so they are not blocked by it."""
    __tracebackhide__ = True
    if not condition:
        raise Violation(requirement_id, what, tuple(exchanges), expected=expected, got=got, kind=kind,
                        judged_all=judged_all)


def failure_unless(condition: Any, requirement_id: str, what: str, *exchanges: Exchange, expected: str = "",
                   got: str = "", kind: str = "") -> Failure | None:
    """The typed failure ``expect`` would raise, returned instead (None when ``condition`` holds): for a
    check that notes what it saw break and lets its caller decide whether it can still judge."""
    if condition:
        return None
    return Violation(requirement_id, what, tuple(exchanges), expected=expected, got=got, kind=kind).failures[0]


def blocked_by(failure: Failure) -> Violation:
    """A violation to raise for ``failure``, seen before: the test stops there, and its own
    requirement is blocked by ``failure``'s."""
    text = requirements.get(failure.requirement_id).headline() + "\n\n" + failure.describe()
    return Violation(failure.requirement_id, text=text, failures=[failure])


def expect_status(exchange: Exchange, status: int, requirement_id: str, what: str = "") -> None:
    __tracebackhide__ = True
    expect(exchange.status == status, requirement_id, what or "the answer's status", exchange,
           expected=f"HTTP {status}")


def shown(value: Any) -> str:
    """A value as a failure shows it: JSON for what came from a body (``"user10"``, ``null``, ``true``),
    a record id of several parts as ``(67, "CP-67-1")``."""
    if isinstance(value, tuple):
        return "(" + ", ".join(shown(v) for v in value) + ")"
    return json.dumps(value, ensure_ascii=False, default=str)


def counted(n: int, noun: str) -> str:
    """``1 record``, ``7 records``."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def some(values: Iterable[Any], limit: int = 3, *, as_is: bool = False, sep: str | None = None) -> str:
    """At most ``limit`` values, then how many more: ``17, 23, 41 and 5 more``. ``as_is``: the values are
    phrases to show as they are, not values to quote, and are separated by ``; `` unless ``sep`` says."""
    values = list(values)
    text = (sep or ("; " if as_is else ", ")).join(str(v) if as_is else shown(v) for v in values[:limit])
    return text + (f" and {len(values) - limit} more" if len(values) > limit else "")


def first_difference(a: Sequence[Any], b: Sequence[Any], label_a: str, label_b: str, noun: str = "record") -> str:
    """Where two sequences first differ: ``record 4 with pagesize 17, 9 with pagesize 78, at position 3``
    (or their lengths, when one is the start of the other)."""
    index = next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), None)
    if index is None:
        return f"{len(a)} {noun}s {label_a}, {len(b)} {label_b}"
    return f"{noun} {shown(a[index])} {label_a}, {shown(b[index])} {label_b}, at position {index + 1}"


def request_text(path: str, query: Mapping[str, Any] | None = None, method: str = "GET") -> str:
    """A request in a failure's words, its text values quoted: ``GET /sessions?user_id="user10"&pagesize=100``
    (the curl repro has it as sent)."""
    params = "&".join(f"{name}={shown(value)}" for name, value in (query or {}).items())
    return f"{method} {path}" + (f"?{params}" if params else "")


def found_in(exc: BaseException | None, kind: type) -> list:
    """``exc`` and the exceptions of type ``kind`` inside it (exception groups, hypothesis'
    ``FlakyFailure`` included, causes, contexts), in order."""
    seen: set[int] = set()
    found: list = []
    todo = [exc]
    while todo:
        current = todo.pop(0)
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, kind):
            found.append(current)
        todo += [*getattr(current, "exceptions", ()), current.__cause__, current.__context__]
    return found


#: hypothesis' errors for a failure that did not happen again when the example was replayed
_NOT_REPLAYED = ("FlakyFailure", "Flaky", "FlakyReplay")


def violations_text(exc: BaseException | None) -> str | None:
    """The text of the violations inside a test's exception (None when there are none): each
    violation once, without the tracebacks of the test code or of hypothesis' exception groups. When
    hypothesis could not replay the failure, a note says so: the deployment answered the same request
    differently the second time, which is a finding, not the suite's flakiness."""
    violations = found_in(exc, Violation)
    if not violations:
        return None
    text = "\n\n".join(dict.fromkeys(str(v) for v in violations))
    if any(type(e).__name__ in _NOT_REPLAYED for e in found_in(exc, BaseException)):
        text += ("\n\n(seen once: when hypothesis sent the same example again the deployment answered differently, "
                 "so the violation could not be replayed)")
    return redact(text)


def _first_line(text: str) -> str:
    return next((line.strip() for line in text.splitlines() if line.strip()), "")
