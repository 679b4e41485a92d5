"""``python -m conformance.reference``: run the reference server (see :mod:`.server`)."""

import sys

from .server import main

if __name__ == "__main__":
    sys.exit(main())
