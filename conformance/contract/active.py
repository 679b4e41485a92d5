"""The spec and profile of the suite run in this process.

A conformance test module that needs the spec when it is imported, before any fixture exists
(schemathesis parametrizes ``test_schema`` at import; ``test_geo``'s explicit examples name the
spec's parameters), reads it here: the plugin sets it when it configures a run of the suite, so it
is the very :class:`~conformance.contract.spec.Spec` the fixtures hand out, overlays applied.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from conformance.contract.spec import Spec


@dataclass(frozen=True)
class ActiveRun:
    spec: "Spec"
    #: the --profile (smoke, default, thorough)
    profile: str


_ACTIVE: ActiveRun | None = None


def activate(spec: "Spec", profile: str) -> None:
    global _ACTIVE
    _ACTIVE = ActiveRun(spec, profile)


def deactivate(spec: "Spec") -> None:
    global _ACTIVE
    if _ACTIVE is not None and _ACTIVE.spec is spec:
        _ACTIVE = None


def run() -> ActiveRun:
    """The suite run configured in this process; a clear error outside one."""
    if _ACTIVE is None:
        raise RuntimeError("no run of the conformance suite is configured in this process: its test modules "
                           "are collected by `pytest conformance` (the iris_conformance plugin configures it)")
    return _ACTIVE
