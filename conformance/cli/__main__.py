"""``python -m conformance.cli``: the same as the ``iris-conformance`` command."""

import sys

from conformance.cli import main

sys.exit(main())
