"""The lab's reference server: ``python -m lab`` (``tests/`` on ``PYTHONPATH``).

    python -m lab [the reference server's options] [--defect NAME ...] [--list-defects]
                  [--dialect native|camel|bare]

It is ``python -m conformance.reference`` with three more options, and prints the same one JSON line
on start-up with two more members: ``{"base_url": ..., "keys": {...}, "defects": [...], "dialect": ...}``.
Each option becomes an :class:`~conformance.reference.app.Extension` of the clean server (component
swaps, outer ASGI layers) in :meth:`Lab.extension`: another one (an API-gateway front, a mutant) is
an option there and an extension added to the chain.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Any

from conformance.reference.app import Extension
from conformance.reference.server import ServerExtension, UsageError, main as serve

from .defects import DEFECTS
from .defects import extension as defects_extension
from .dialects import DIALECTS


def defects_table() -> str:
    rows = [("NAME", "REQUIREMENT", "DESCRIPTION")]
    rows += [(d.name, d.requirement, d.description) for d in sorted(DEFECTS.values(), key=lambda d: d.name)]
    width0 = max(len(r[0]) for r in rows)
    width1 = max(len(r[1]) for r in rows)
    return "\n".join(f"{a:<{width0}}  {b:<{width1}}  {c}" for a, b, c in rows)


class _ListDefects(argparse.Action):
    def __init__(self, option_strings: Sequence[str], dest: str, **kwargs: Any) -> None:
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, **kwargs)

    def __call__(self, parser: argparse.ArgumentParser, *_: Any) -> None:
        print(defects_table())
        parser.exit(0)


class Lab(ServerExtension):
    prog = "python -m lab"
    description = ("The embedded reference implementation of the IRIS External API, with the project's tests' "
                   "deliberate defects and dialects.")

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--defect", action="append", default=[], metavar="NAME",
                            help="switch on a deliberate defect (repeatable; see --list-defects)")
        parser.add_argument("--list-defects", action=_ListDefects, help="print the known defects and exit")
        parser.add_argument("--dialect", choices=list(DIALECTS), default="native",
                            help="speak another dialect, differing from the contract on ASSUMED points only (envelopes, "
                                 "field names, timestamp form, page-size bound, rate-limit headers): "
                                 + "; ".join(f"{d.name}: {d.summary}" for d in DIALECTS.values()))

    @staticmethod
    def defects(args: argparse.Namespace) -> tuple[str, ...]:
        return tuple(dict.fromkeys(args.defect))

    def extension(self, args: argparse.Namespace) -> Extension:
        """The dialect (its parser, its outermost layer), then the defects (on the dialect's components)."""
        unknown = [name for name in self.defects(args) if name not in DEFECTS]
        if unknown:
            raise UsageError(f"unknown defect(s): {', '.join(unknown)} (see --list-defects)")
        return DIALECTS[args.dialect].extension().then(defects_extension(self.defects(args)))

    def info(self, args: argparse.Namespace) -> dict[str, Any]:
        return {"defects": list(self.defects(args)), "dialect": args.dialect}

    def describe(self, args: argparse.Namespace) -> str:
        defects = self.defects(args)
        return (f"{' in the ' + args.dialect + ' dialect' if args.dialect != 'native' else ''}"
                f"{' with defects ' + ', '.join(defects) if defects else ''}")


def main(argv: Sequence[str] | None = None) -> int:
    return serve(argv, Lab())


if __name__ == "__main__":
    sys.exit(main())
