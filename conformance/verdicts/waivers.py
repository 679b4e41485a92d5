"""Waivers: a known violation of a requirement, accepted for a while.

A waiver file (``--waivers FILE``, env ``IRIS_WAIVERS``) is YAML::

    waivers:
      - requirement: GEO-03
        operations: ["GET /chargers/status"]   # optional: only failures on these operations
        reason: the bounding-box pre-filter returns the corners; fixed in release 4.2 (IRIS-123)
        owner: jane.doe@vendor.example
        expires: 2027-01-31                     # the last day the waiver holds (UTC)

A failure of a requirement is *covered* when a waiver names its requirement, has not expired on the
day the run started, and (if it lists operations) names the operation the failure was seen on. A
requirement whose every failure is covered gets the verdict ``waived`` and does not fail the run.
Loading checks everything a person can get wrong (unknown keys, an ID that is not in the registry,
an operation that is not in the spec, a date that is not a date, two waivers for the same failure)
and says how to fix it; the plugin turns that into a usage error (exit 4).
"""

from __future__ import annotations

import datetime as dt
import difflib
import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable

import yaml

from conformance.contract import requirements
from conformance.contract.operations import OperationIndex, operation_of_nodeid

if TYPE_CHECKING:
    from conformance.contract.spec import Spec

#: how a waiver file is written, shown with every error
EXAMPLE = """waivers:
  - requirement: GEO-03
    operations: ["GET /chargers/status"]   # optional
    reason: why the violation is accepted
    owner: who answers for it
    expires: 2027-01-31"""

REQUIRED_KEYS = ("requirement", "reason", "owner", "expires")
KEYS = (*REQUIRED_KEYS, "operations")

#: the status of each waiver after a run
APPLIED, EXPIRED, UNUSED = "applied", "expired", "unused"


class _Loader(yaml.SafeLoader):
    """YAML without implicit timestamps: ``expires`` is read as text and checked here, so that
    2027-13-01 gets a message that says how to write a date rather than a constructor's error."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


class WaiverError(ValueError):
    """A waiver file that cannot be used; the message names the file, the entry and the fix."""


@dataclass(frozen=True)
class Waiver:
    index: int  # its position in the file, from 0 (``waivers[index]`` in messages)
    requirement: str
    reason: str
    owner: str
    expires: dt.date
    #: operation labels ("GET /stations"); empty: every operation
    operations: tuple[str, ...] = ()

    def expired_on(self, day: dt.date) -> bool:
        return day > self.expires

    def covers(self, requirement_id: str, operation: str | None) -> bool:
        """Whether this waiver names the requirement and (if narrowed) the operation (expiry aside)."""
        if requirement_id != self.requirement:
            return False
        return not self.operations or operation in self.operations

    @property
    def scope(self) -> str:
        return ", ".join(self.operations) if self.operations else "every operation"

    def describe(self) -> str:
        return (f"{self.requirement} on {self.scope}: {self.reason} (owner {self.owner}, "
                f"expires {self.expires.isoformat()})")

    def to_dict(self) -> dict[str, Any]:
        return {"requirement": self.requirement, "operations": list(self.operations), "reason": self.reason,
                "owner": self.owner, "expires": self.expires.isoformat()}


@dataclass
class WaiverUse:
    """What a run did with one waiver."""

    waiver: Waiver
    status: str  # applied | expired | unused
    why: str

    def to_dict(self) -> dict[str, Any]:
        return {**self.waiver.to_dict(), "status": self.status, "why": self.why}


@dataclass
class Waivers:
    """The waivers in force for a run, and how a failure's operation is read from its report."""

    path: Path | None
    sha256: str
    waivers: tuple[Waiver, ...]
    #: the day the run started (UTC): a waiver holds through its ``expires`` day
    today: dt.date
    #: operation id -> label ("listStations" -> "GET /stations"), from the spec
    labels: dict[str, str] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.waivers)

    def cover(self, requirement_id: str, operation: str | None) -> Waiver | None:
        """The waiver in force that covers a failure of ``requirement_id`` on ``operation``, or None."""
        for waiver in self.waivers:
            if waiver.covers(requirement_id, operation) and not waiver.expired_on(self.today):
                return waiver
        return None

    def expired_for(self, requirement_id: str, operation: str | None) -> Waiver | None:
        """An expired waiver that would have covered the failure."""
        for waiver in self.waivers:
            if waiver.covers(requirement_id, operation) and waiver.expired_on(self.today):
                return waiver
        return None

    def for_requirement(self, requirement_id: str) -> list[Waiver]:
        return [w for w in self.waivers if w.requirement == requirement_id]

    # ------------------------------------------------------------------ the operation of a failure

    def operation_of(self, nodeid: str, operation: str | None) -> str | None:
        """The operation a failure was seen on, as a label ("GET /stations"): the one its typed
        failure names (the request that broke the requirement), else the operation the test is
        parametrized with (``test_x[listStations]``, schemathesis' ``test_api[GET /stations]``)."""
        return operation or operation_of_nodeid(self.labels, nodeid)

    # ------------------------------------------------------------------ after the run

    def uses(self, verdicts: dict[str, str], covered: dict[int, set[str]],
             uncovered: dict[str, set[str]]) -> list[WaiverUse]:
        """What became of each waiver: ``verdicts`` by requirement ID, ``covered`` the operations of
        the failures each waiver (by index) covered, ``uncovered`` the operations of each requirement's
        failures that no waiver in force covered."""
        out = []
        for waiver in self.waivers:
            verdict = verdicts.get(waiver.requirement, "not run")
            if waiver.expired_on(self.today):
                tail = (f"; {waiver.requirement} {verdict}, the waiver does not apply"
                        if verdict in ("FAILED", "warning") else "")
                out.append(WaiverUse(waiver, EXPIRED, f"it held until {waiver.expires.isoformat()}{tail}"))
            elif waiver.index in covered:
                left = uncovered.get(waiver.requirement)
                why = "covers its failures on " + ", ".join(sorted(o or "an unknown operation"
                                                                   for o in covered[waiver.index]))
                if left:
                    why += "; not the failures on " + ", ".join(sorted(o or "an unknown operation" for o in left))
                out.append(WaiverUse(waiver, APPLIED, why))
            elif verdict == "FAILED" or verdict == "warning":
                ops = ", ".join(sorted(o or "an unknown operation" for o in uncovered.get(waiver.requirement, ())))
                out.append(WaiverUse(waiver, UNUSED, f"{waiver.requirement} {verdict} on {ops}, which the waiver "
                                                     f"does not name"))
            else:
                out.append(WaiverUse(waiver, UNUSED, f"{waiver.requirement} {verdict}: nothing to waive"))
        return out


def none(today: dt.date | None = None) -> Waivers:
    """No waivers."""
    return Waivers(None, "", (), today or dt.datetime.now(dt.timezone.utc).date())


def load(path: str | Path, spec: "Spec", today: dt.date) -> Waivers:
    """The waivers of ``path``, validated against the registry and ``spec``; :class:`WaiverError`
    with what to change otherwise."""
    path = Path(path)
    where = f"--waivers {path}"
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise WaiverError(f"{where}: cannot be read ({exc.strerror or exc})") from None
    try:
        document = yaml.load(data.decode("utf-8"), Loader=_Loader)  # noqa: S506 - a safe loader
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise WaiverError(f"{where}: is not YAML: {exc}") from None
    labels = OperationIndex(spec).labels
    problems: list[str] = []
    waivers = _parse(document, labels, problems)
    problems += _overlaps(waivers)
    if problems:
        raise WaiverError(f"{where}:\n" + "\n".join(f"  {p}" for p in problems)
                          + "\nA waiver file looks like this:\n" + EXAMPLE)
    return Waivers(path, hashlib.sha256(data).hexdigest(), tuple(waivers), today, labels)


def _parse(document: Any, labels: dict[str, str], problems: list[str]) -> list[Waiver]:
    if not isinstance(document, dict) or "waivers" not in document:
        problems.append("the file must be a mapping with one key, 'waivers', holding a list of waivers")
        return []
    extra = sorted(set(document) - {"waivers"})
    if extra:
        problems.append(f"unknown top-level key{'s' if len(extra) > 1 else ''} {', '.join(map(repr, extra))} "
                        "(only 'waivers')")
    entries = document["waivers"]
    if entries is None:
        return []
    if not isinstance(entries, list):
        problems.append("'waivers' must be a list of waivers (each a mapping beginning with '- ')")
        return []
    waivers = []
    for index, entry in enumerate(entries):
        waiver = _entry(index, entry, labels, problems)
        if waiver is not None:
            waivers.append(waiver)
    return waivers


def _entry(index: int, entry: Any, labels: dict[str, str], problems: list[str]) -> Waiver | None:
    at = f"waivers[{index}]"
    if not isinstance(entry, dict):
        problems.append(f"{at}: must be a mapping with keys {', '.join(REQUIRED_KEYS)} (and optionally operations)")
        return None
    before = len(problems)
    for key in sorted(set(map(str, entry)) - set(KEYS)):
        problems.append(f"{at}: unknown key {key!r}{_suggest(key, KEYS)}")
    for key in REQUIRED_KEYS:
        if key not in entry or entry[key] in (None, ""):
            problems.append(f"{at}: missing key {key!r}")
    rid = entry.get("requirement")
    if rid not in (None, "") and (not isinstance(rid, str) or rid not in requirements.registry()):
        problems.append(f"{at}.requirement: {rid!r} is not a requirement of the contract"
                        f"{_suggest(str(rid), requirements.registry())} (the IDs are in conformance/contract/requirements.yaml)")
    for key in ("reason", "owner"):
        value = entry.get(key)
        if value not in (None, "") and (not isinstance(value, str) or not value.strip()):
            problems.append(f"{at}.{key}: must be text")
    expires = _date(entry.get("expires"))
    if entry.get("expires") not in (None, "") and expires is None:
        problems.append(f"{at}.expires: {entry.get('expires')!r} is not a date (write YYYY-MM-DD, e.g. 2027-01-31)")
    operations = _operations(at, entry.get("operations"), labels, problems)
    if len(problems) > before:
        return None
    return Waiver(index, rid, entry["reason"].strip(), entry["owner"].strip(), expires, operations)


def _operations(at: str, value: Any, labels: dict[str, str], problems: list[str]) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not value:
        problems.append(f"{at}.operations: must be a list of operations, e.g. [\"GET /stations\"] (leave it out "
                        "to waive every operation)")
        return ()
    out = []
    for item in value:
        text = " ".join(str(item).split())
        method, _, rest = text.partition(" ")
        label = labels.get(text) or (f"{method.upper()} {rest}" if f"{method.upper()} {rest}" in labels.values()
                                     else None)
        if label is None:
            problems.append(f"{at}.operations: {item!r} is not an operation of the spec"
                            f"{_suggest(text, labels.values())}; write it as METHOD /path, one of: "
                            + ", ".join(sorted(labels.values())))
        elif label not in out:
            out.append(label)
    return tuple(out)


def _date(value: Any) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return None
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            return None
    return None


def _overlaps(waivers: list[Waiver]) -> list[str]:
    """Two waivers that could cover the same failure: which one holds would be a guess."""
    problems = []
    for i, first in enumerate(waivers):
        for second in waivers[i + 1:]:
            if first.requirement != second.requirement:
                continue
            if first.operations and second.operations:
                common = sorted(set(first.operations) & set(second.operations))
                if not common:
                    continue
                on = ", ".join(common)
            else:
                on = ", ".join(first.operations or second.operations) or "every operation"
            problems.append(f"waivers[{first.index}] and waivers[{second.index}] both waive {first.requirement} on "
                            f"{on}: keep one (remove an expired one once it is renewed)")
    return problems


def _suggest(word: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""
