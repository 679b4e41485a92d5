"""The embedded reference implementation of the IRIS Network External API.

It implements every MUST and SHOULD of the contract (``docs/contract.md``) over deterministic
synthetic data. It never imports the suite and reads nothing from ``specs/``. Start it with
``python -m conformance.reference`` (see :mod:`.server`) or build the ASGI app with
:func:`create_app`. An :class:`Extension` swaps its components and wraps it in outer layers: the
project's tests build their deliberate defects and dialects that way (``tests/lab``), outside this
package and outside the wheel.
"""

from .app import Components, Extension, build_components, create_app
from .settings import Settings

__all__ = ["Components", "Extension", "Settings", "build_components", "create_app"]
