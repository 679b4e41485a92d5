"""Conformance suite for the IRIS Network External API.

The suite (``conformance.plugin`` and ``conformance.suite``) talks to a deployment only over HTTP
and reads everything it knows about the API from ``specs/openapi.yaml``. The embedded reference
implementation lives in ``conformance.reference`` and never imports the suite.
"""

__version__ = "0.1.0"
