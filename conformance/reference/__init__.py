"""The embedded reference implementation of the IRIS Network External API.

It implements every MUST and SHOULD of ``shared/docs/contract.md`` over deterministic synthetic
data, and can be started with deliberate defects (:mod:`.defects`) to prove the suite catches them.
It never imports the suite and reads nothing from ``specs/``. Start it with
``python -m conformance.reference`` (see :mod:`.server`) or build the ASGI app with
:func:`create_app`.
"""

from .app import Components, build_components, create_app
from .settings import Settings

__all__ = ["Components", "Settings", "build_components", "create_app"]
