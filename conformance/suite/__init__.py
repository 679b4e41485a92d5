"""The conformance tests. Run them with ``pytest conformance`` (or ``iris-conformance run``)."""
