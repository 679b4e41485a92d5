"""Deliberate defects: known-broken variants of the reference server, to prove the suite catches them.

A defect is ONE component of the clean server (``conformance.reference``) swapped for a subclass that
overrides one method, through the server's :class:`~conformance.reference.app.Extension`; the clean
code path has no ``if defect`` branches and knows nothing of this catalogue. Register a defect by
decorating its subclass::

    @defect("missing-key-403", requirement="AUTH-02", component="authenticator",
            description="a request without a credential gets 403 instead of 401")
    class MissingKey403Authenticator(Authenticator):
        def missing(self):
            return replace(super().missing(), status=403)

``component`` is a field of :class:`conformance.reference.app.Components`: ``authenticator``,
``limiter``, ``parser``, ``repository`` or ``serializer``. Defects may live here or in any module of
the ``lab.broken`` package (imported automatically). Switching a defect on swaps the component for an
instance of the subclass carrying the same state; two defects on the same component combine (their
classes are stacked).
"""

from __future__ import annotations

import dataclasses
import functools
import importlib
import pkgutil
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

from conformance.reference.app import Components, Extension
from conformance.reference.auth import Authenticator
from conformance.reference.limiter import RateLimiter
from conformance.reference.query import Params, QueryParser
from conformance.reference.repository import Repository
from conformance.reference.serializer import Serializer

COMPONENT_BASES: dict[str, type] = {
    "authenticator": Authenticator,
    "limiter": RateLimiter,
    "parser": QueryParser,
    "repository": Repository,
    "serializer": Serializer,
}

K = TypeVar("K", bound=type)


class UnknownDefect(KeyError):
    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name

    def __str__(self) -> str:
        return f"unknown defect {self.name!r}; known: {', '.join(sorted(DEFECTS)) or 'none'}"


@dataclass(frozen=True)
class Defect:
    name: str
    requirement: str
    """The contract requirement ID the defect breaks."""
    description: str
    component: str
    broken_class: type
    apply: Callable[[Components], Components]
    """Takes clean (or already defective) Components, returns a copy with the component swapped."""
    collateral: tuple[str, ...] = ()
    """Other requirement IDs the defect unavoidably breaks as well (e.g. a 500 that should be a 400)."""


DEFECTS: dict[str, Defect] = {}


def rebase(instance: Any, broken_class: type) -> Any:
    """A copy of ``instance`` whose class also has ``broken_class``'s overrides."""
    current = type(instance)
    if isinstance(instance, broken_class):
        return instance
    if issubclass(broken_class, current):
        cls = broken_class
    else:
        cls = type(f"{broken_class.__name__}With{current.__name__}", (broken_class, current), {})
    copy = object.__new__(cls)
    copy.__dict__.update(vars(instance))
    return copy


def swap(component: str, broken_class: type) -> Callable[[Components], Components]:
    def apply(components: Components) -> Components:
        current = getattr(components, component)
        return dataclasses.replace(components, **{component: rebase(current, broken_class)})
    return apply


def defect(name: str, *, requirement: str, component: str, description: str,
           collateral: tuple[str, ...] = ()) -> Callable[[K], K]:
    """Class decorator registering ``cls`` as the defect ``name``."""
    if component not in COMPONENT_BASES:
        raise ValueError(f"unknown component {component!r}")

    def register(cls: K) -> K:
        if not issubclass(cls, COMPONENT_BASES[component]):
            raise TypeError(f"{cls.__name__} must subclass {COMPONENT_BASES[component].__name__}")
        if name in DEFECTS:
            raise ValueError(f"defect {name!r} registered twice")
        DEFECTS[name] = Defect(name, requirement, description, component, cls, swap(component, cls),
                               tuple(collateral))
        return cls
    return register


def extension(names: Iterable[str]) -> Extension:
    """The reference server's extension that switches on every named defect, in order."""
    unknown = [name for name in names if name not in DEFECTS]
    if unknown:
        raise UnknownDefect(unknown[0])
    chosen = [DEFECTS[name] for name in names]
    return Extension(swap=lambda components: functools.reduce(lambda done, d: d.apply(done), chosen, components))


def apply_defects(components: Components, names: Iterable[str]) -> Components:
    """``components`` with every named defect switched on, in order."""
    return extension(names).swap(components)


# ------------------------------------------------------------------------------------- defects

@defect("missing-key-403", requirement="AUTH-02", component="authenticator", collateral=("AUTH-05", "ENV-01"),
        description="a request without a credential gets 403 instead of 401 (code MISSING_API_KEY kept)")
class MissingKey403Authenticator(Authenticator):
    def missing(self):
        return dataclasses.replace(super().missing(), status=403)


@defect("tariff-drops-currency", requirement="ENV-01", component="serializer",
        description="tariffs in list and detail lack the required field currency (schema violation)")
class TariffWithoutCurrencySerializer(Serializer):
    def tariff(self, row: dict) -> dict:
        body = super().tariff(row)
        body.pop("currency", None)
        return body


@defect("pagesize-crash", requirement="TRN-04", component="parser", collateral=("PAGE-01",),
        description="a pagesize over the bound (100; 50 in the bare dialect) raises an unhandled exception: "
                    "500 INTERNAL_ERROR instead of 400")
class PagesizeCrashParser(QueryParser):
    def pagesize(self, params: Params) -> int:
        raw = self.single(params, "pagesize")
        if raw is not None and re.fullmatch(r"[0-9]+", raw):
            significant = raw.lstrip("0")
            if len(significant) > len(str(self.max_pagesize)) or int(significant or "0") > self.max_pagesize:
                raise OverflowError("page buffer too small")
        return super().pagesize(params)


# -------------------------------------------------------------------------- plug-in defects

def _load_broken_modules() -> None:
    from . import broken

    for module in pkgutil.iter_modules(broken.__path__):
        importlib.import_module(f"{broken.__name__}.{module.name}")


_load_broken_modules()
