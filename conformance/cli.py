"""``iris-conformance``: run the suite, serve the embedded reference API, compare two runs, verify
an evidence bundle.

    iris-conformance run [PYTEST ARGS...]                       the conformance suite (reports in reports/)
    iris-conformance serve [--port N] ...                       the reference API, until Ctrl-C
    iris-conformance diff OLD.json NEW.json [--format F]        two runs' conformance.json compared
                                                                (text, markdown or json); exit 1 on a regression
    iris-conformance verify DIR|BUNDLE.tar.gz                   a reports directory or bundle: complete and
                                                                unaltered? (exit 0 yes, 1 refused)
"""

from __future__ import annotations

import argparse
import os
import sys

USAGE = __doc__


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in ("-h", "--help"):
        print(USAGE.strip())
        return 0 if args else 2
    command, rest = args[0], args[1:]
    if command == "run":
        import pytest

        return int(pytest.main(["--pyargs", "conformance.suite", "-p", "no:cacheprovider", *rest]))
    if command == "serve":
        # The reference server is its own program; the suite only ever talks to it over HTTP.
        os.execv(sys.executable, [sys.executable, "-m", "conformance.reference", *rest])
    if command == "diff":
        return _diff(rest)
    if command == "verify":
        return _verify(rest)
    print(f"unknown command {command!r}\n\n{USAGE.strip()}", file=sys.stderr)
    return 2


def _diff(argv: list[str]) -> int:
    from conformance import diff

    parser = argparse.ArgumentParser(prog="iris-conformance diff",
                                     description="compare two runs' conformance.json, requirement by requirement")
    parser.add_argument("old", metavar="OLD.json", help="the earlier run (e.g. the last accepted one)")
    parser.add_argument("new", metavar="NEW.json", help="the run to judge")
    parser.add_argument("--format", choices=("text", "markdown", "json"), default="text",
                        help="text (default), markdown (a merge-request comment) or json")
    options = parser.parse_args(argv)
    try:
        result = diff.compare(diff.read(options.old), diff.read(options.new), options.old, options.new)
    except diff.DiffError as exc:
        print(f"iris-conformance diff: {exc}", file=sys.stderr)
        return 2
    print(result.render(options.format))
    return result.exit_status


def _verify(argv: list[str]) -> int:
    from conformance import bundle

    parser = argparse.ArgumentParser(prog="iris-conformance verify",
                                     description="check that an evidence bundle is complete and unaltered")
    parser.add_argument("where", metavar="DIR|BUNDLE.tar.gz", help="a reports directory or a --bundle archive")
    options = parser.parse_args(argv)
    check = bundle.verify(options.where)
    print(check.describe())
    return 0 if check.ok else 1


if __name__ == "__main__":
    sys.exit(main())
