"""Start the lab's reference server (``python -m lab``) from the tests as the suite starts the clean
one: an :class:`~conformance.runtime.embedded.EmbeddedServer` of another module."""

from __future__ import annotations

from conformance.runtime.embedded import EmbeddedServer

from . import HERE

#: the folder that holds the lab package: on the lab server's PYTHONPATH
TESTS = HERE.parent
MODULE = "lab"


def lab_server(*args: str) -> EmbeddedServer:
    """The lab's server with ``args`` (``--defect NAME``, ``--dialect NAME`` and the reference server's
    own options); not started yet."""
    return EmbeddedServer(args=tuple(args), module=MODULE, pythonpath=(str(TESTS),))

