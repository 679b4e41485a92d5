"""``iris-conformance``: run the suite, serve the embedded reference API, compare two runs, verify
an evidence bundle.

    iris-conformance run [PYTEST ARGS...]                       the conformance suite (reports in reports/)
    iris-conformance serve [--port N] ...                       the reference API, until Ctrl-C
    iris-conformance diff OLD.json NEW.json [--format F]        two runs' conformance.json compared
                                                                (text, markdown or json); exit 1 on a regression
    iris-conformance verify DIR|BUNDLE.tar.gz                   a reports directory or bundle: complete and
                                                                unaltered? (exit 0 yes, 1 refused)
    iris-conformance index [-o FILE] [--check]                   the conformance index (requirement -> tests), from
                                                                the code (docs/conformance-index.md)
    iris-conformance adapt --base-url URL                      draft an overlay for a deployment (key:
                     [-o FILE] [--max-rps R] [--max-requests N]  IRIS_API_KEY) from at most 200 requests
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
        # pytest in a fresh interpreter, as `python -m pytest`: it marks the packages of its plugins for
        # assertion rewriting before it imports them, and this process has imported ours already
        # (PytestAssertRewriteWarning). Its exit status is the command's.
        os.execv(sys.executable, [sys.executable, "-m", "pytest", "--pyargs", "conformance.suite", "-p",
                                  "no:cacheprovider", *rest])
    if command == "adapt":
        return adapt_command(rest)
    if command == "serve":
        # The reference server is its own program; the suite only ever talks to it over HTTP.
        os.execv(sys.executable, [sys.executable, "-m", "conformance.reference", *rest])
    if command == "diff":
        return _diff(rest)
    if command == "verify":
        return _verify(rest)
    if command == "index":
        return _index(rest)
    print(f"unknown command {command!r}\n\n{USAGE.strip()}", file=sys.stderr)
    return 2


def adapt_command(argv: list[str]) -> int:
    import argparse
    from pathlib import Path

    from conformance.adapt import probe as adapt
    from conformance.runtime.redaction import SECRETS, redact
    from conformance.contract.spec import SpecError

    parser = argparse.ArgumentParser(prog="iris-conformance adapt", description=(
        "Send a few requests to a deployment, compare its answers with the spec and write an OpenAPI "
        "Overlay draft with one group of actions per deviation on an ASSUMED point. The key comes from "
        "IRIS_API_KEY, never from the command line."))
    parser.add_argument("--base-url", default=os.environ.get("PYTEST_BASE_URL"), help="the deployment (env PYTEST_BASE_URL)")
    parser.add_argument("-o", "--output", type=Path, default=adapt.DEFAULT_OUTPUT,
                        help=f"where the draft goes (default {adapt.DEFAULT_OUTPUT})")
    parser.add_argument("--max-rps", type=float, default=float(os.environ.get("IRIS_MAX_RPS") or 0) or None,
                        help="never more than this many requests a second (env IRIS_MAX_RPS)")
    parser.add_argument("--max-requests", type=int, default=adapt.MAX_REQUESTS,
                        help=f"at most this many requests (default and most {adapt.MAX_REQUESTS})")
    parser.add_argument("--spec", default=os.environ.get("IRIS_SPEC"), help="the spec to compare with (default: packaged)")
    parser.add_argument("--request-timeout", type=float, default=10.0, help="seconds one request may take")
    args = parser.parse_args(argv)
    if not args.base_url:
        parser.error("--base-url URL is required (or PYTEST_BASE_URL)")
    if not 1 <= args.max_requests <= adapt.MAX_REQUESTS:
        parser.error(f"--max-requests must be between 1 and {adapt.MAX_REQUESTS}")
    key = os.environ.get("IRIS_API_KEY")
    if not key:
        print("IRIS_API_KEY is not set: adapt needs the key the suite will run with", file=sys.stderr)
        return 4
    SECRETS.add(key)
    try:
        result = adapt.adapt(args.base_url, key, spec_path=args.spec, max_requests=args.max_requests,
                             max_rps=args.max_rps, timeout=args.request_timeout)
    except SpecError as exc:
        print(f"the spec cannot be used: {exc}", file=sys.stderr)
        return 4
    path = adapt.write(result, args.output)
    print(redact(f"adapt: {result.requests} requests to {args.base_url}"))
    if result.deviations:
        print(f"{len(result.deviations)} deviations on ASSUMED points, {result.actions} overlay actions:")
        for number, deviation in enumerate(result.deviations, 1):
            print(redact(f"  {number}. [{deviation.requirement}] {deviation.summary} ({deviation.confidence.split(':')[0]})"))
    else:
        print("no deviation on an ASSUMED point: the overlay has no actions")
    try:
        adapt.check_draft(path, args.spec)
    except SpecError as exc:
        print(redact(f"the draft does not load as an overlay of the spec (a bug of adapt: please report it): {exc}"),
              file=sys.stderr)
        return 3
    if result.unexplained:
        print(f"not explained ({len(result.unexplained)}; not adapted, they may be defects of the deployment):")
        for item in result.unexplained:
            print(redact(f"  - {item}"))
    print(f"draft written to {path}: read it, commit it, then run: pytest conformance --overlay {path}")
    return 0


def _diff(argv: list[str]) -> int:
    from conformance.verdicts import diff

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
    from conformance.verdicts import bundle

    parser = argparse.ArgumentParser(prog="iris-conformance verify",
                                     description="check that an evidence bundle is complete and unaltered")
    parser.add_argument("where", metavar="DIR|BUNDLE.tar.gz", help="a reports directory or a --bundle archive")
    options = parser.parse_args(argv)
    check = bundle.verify(options.where)
    print(check.describe())
    return 0 if check.ok else 1


def _index(argv: list[str]) -> int:
    from pathlib import Path

    from conformance.suite.index import render

    parser = argparse.ArgumentParser(prog="iris-conformance index", description=(
        "Write the conformance index: every requirement with the tests that check it, from the code."))
    parser.add_argument("-o", "--output", type=Path, default=Path("docs/conformance-index.md"))
    parser.add_argument("--check", action="store_true", help="exit 1 when the file differs from the code")
    args = parser.parse_args(argv)
    text = render() + "\n"
    if args.check:
        current = args.output.read_text(encoding="utf-8") if args.output.exists() else ""
        if current != text:
            print(f"{args.output} is not the index of the code: run `iris-conformance index -o {args.output}`",
                  file=sys.stderr)
            return 1
        return 0
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text, encoding="utf-8")
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
