"""``python -m lab``: the reference server with the lab's options (see :mod:`lab.serve`)."""

import sys

from lab.serve import main

if __name__ == "__main__":
    sys.exit(main())
