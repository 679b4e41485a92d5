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
    iris-conformance plan [--profile P] [--requirements IDS]    the requests a run will send, per requirement
                     [--base-url URL] [--allow-intrusive] ...    family and key, and how long they take; sends none
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

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
    if command == "plan":
        return _plan(rest)
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


def _plan(argv: list[str]) -> int:
    from conformance.contract.requirements import parse_selection
    from conformance.plugin import KEY_OPTIONS
    from conformance.plugin import plan as planning
    from conformance.plugin.options import PROFILES
    from conformance.plugin.safety import judge_sensitivity
    from conformance.contract.overlay import paths_from as overlay_paths
    from conformance.verdicts.plan import CostTableError, Selection

    parser = argparse.ArgumentParser(prog="iris-conformance plan", description=(
        "The requests a run of the suite will send, before it sends any: per requirement family and per key, "
        "the total, and the time they take at a pace. The suite is collected (no server is started, no request "
        "is sent) and each test's cost is read from the cost table measured on the reference server."))
    parser.add_argument("--profile", default="default", choices=sorted(PROFILES))
    parser.add_argument("--requirements", metavar="IDS", help="only the tests of these requirements: IDs or prefixes")
    parser.add_argument("--base-url", default=os.environ.get("PYTEST_BASE_URL"),
                        help="the deployment (env PYTEST_BASE_URL): a sensitive one skips the intrusive tests; "
                             "none: the embedded reference server")
    parser.add_argument("--sensitive-url", default=os.environ.get("SENSITIVE_URL"), metavar="REGEX",
                        help="base URLs that are sensitive (env SENSITIVE_URL; default: every URL not on loopback)")
    parser.add_argument("--allow-intrusive", action="store_true", help="the intrusive tests run even if sensitive")
    parser.add_argument("--overlay", action="append", metavar="FILE", help="an overlay (repeatable; env IRIS_OVERLAY)")
    parser.add_argument("--spec", default=os.environ.get("IRIS_SPEC"), metavar="PATH", help="another spec (env IRIS_SPEC)")
    parser.add_argument("--max-rps", type=float, default=float(os.environ.get("IRIS_MAX_RPS") or 0) or None,
                        metavar="RATE", help="the pace of the plan's time (env IRIS_MAX_RPS; default: 20 per key)")
    parser.add_argument("--max-requests", type=int, default=int(os.environ.get("IRIS_MAX_REQUESTS") or 0) or None,
                        metavar="N", help="the run's budget: below the plan against a sensitive URL, exit 4 "
                                          "(env IRIS_MAX_REQUESTS)")
    parser.add_argument("--format", choices=("text", "json"), default="text")
    args = parser.parse_args(argv)
    sensitive, why = judge_sensitivity(args.base_url, args.sensitive_url) if args.base_url else (False, "")
    if args.profile == "thorough" and sensitive and not args.allow_intrusive:
        print(f"--profile thorough is intrusive and {args.base_url} is sensitive (it {why}): pass "
              "--allow-intrusive, or plan another profile", file=sys.stderr)
        return 4
    # the primary key is always planned (a run without it judges nothing); the others when given
    keys = frozenset(role for role, (_, env, _) in KEY_OPTIONS.items()
                     if role == "primary" or not args.base_url or os.environ.get(env))
    options = planning.PlanOptions(
        profile=args.profile, spec=str(Path(args.spec).resolve()) if args.spec else None,
        overlays=overlay_paths(args.overlay),
        selection=Selection(parse_selection(args.requirements), not sensitive or args.allow_intrusive, keys),
        max_rps=args.max_rps)
    try:
        tests = planning.collect(options)
        plan = planning.make(options, tests)
    except (planning.PlanError, CostTableError) as exc:
        print(f"iris-conformance plan: {exc}", file=sys.stderr)
        return 4
    refused = planning.refusal(options, tests, plan, args.max_requests) if sensitive else None
    if args.format == "json":
        print(json.dumps(dict(plan.to_json(), base_url=args.base_url, sensitive=sensitive,
                              collected=len(tests), refused=refused), indent=2))
    else:
        target = f"{args.base_url} ({'sensitive' if sensitive else 'not sensitive'})" if args.base_url else \
            "the embedded reference server"
        print(f"plan of a run against {target}: sends no request")
        for line in plan.lines():
            print(f"  {line}")
        if args.max_requests and not refused and args.max_requests < plan.total:
            print(f"  --max-requests {args.max_requests:,} is below the plan: the run would stop part-way")
    if refused:
        print(refused, file=sys.stderr)
        return 4
    return 0


if __name__ == "__main__":
    sys.exit(main())
