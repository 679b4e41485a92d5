"""``iris-conformance``: run the suite, or serve the embedded reference API.

    iris-conformance run [PYTEST ARGS...]     the conformance suite (reports in reports/)
    iris-conformance serve [--port N] ...     the reference API, until Ctrl-C
"""

from __future__ import annotations

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
    print(f"unknown command {command!r}\n\n{USAGE.strip()}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
