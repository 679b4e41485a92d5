"""More deliberate defects, one small module each (see :mod:`conformance.reference.defects`).

Every module in this package is imported when ``conformance.reference.defects`` is, so a module
only has to define its broken subclass under the ``@defect(...)`` decorator, e.g.::

    from dataclasses import replace

    from ..defects import defect
    from ..serializer import Serializer

    @defect("no-allow-header", requirement="TRN-02", component="serializer",
            description="405 responses lack the Allow header")
    class NoAllowHeaderSerializer(Serializer):
        def method_not_allowed(self, allowed=("GET", "HEAD")):
            return self.error(405, "METHOD_NOT_ALLOWED", "Method not allowed")
"""
