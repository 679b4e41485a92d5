"""The lab: the reference server as the project's tests need it, beside the clean one the wheel ships.

The suite's proof that it works is that it fails where it should: against the reference server with
a deliberate defect (:mod:`lab.defects`, :mod:`lab.broken`: 90 of them, each a subclass of one
component), and that it adapts where it may: against the server speaking another dialect
(:mod:`lab.dialects`, with the overlays that describe them in ``overlays/``). None of this is part of
the product: the clean server (``conformance.reference``) knows nothing of it, and the lab reaches it
through the server's one extension point (:class:`conformance.reference.app.Extension`: component
swaps and outer ASGI layers; :class:`conformance.reference.server.ServerExtension`: command-line
options).

``python -m lab`` (``tests/`` on ``PYTHONPATH``) is the reference server with ``--defect NAME``
(repeatable), ``--list-defects`` and ``--dialect native|camel|bare`` (:mod:`lab.serve`);
:func:`lab.embedded.lab_server` starts it from the tests as the suite starts the clean one.
"""

from pathlib import Path

#: the lab's folder (the overlays are in ``overlays/``)
HERE = Path(__file__).resolve().parent
OVERLAYS = HERE / "overlays"
