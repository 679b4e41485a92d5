"""More deliberate defects, one small module each (see :mod:`lab.defects`).

Every module in this package is imported when ``lab.defects`` is, so a module only has to define
its broken subclass under the ``@defect(...)`` decorator, e.g.::

    from conformance.reference.serializer import Serializer

    from ..defects import defect

    @defect("no-allow-header", requirement="TRN-02", component="serializer",
            description="405 responses lack the Allow header")
    class NoAllowHeaderSerializer(Serializer):
        def method_not_allowed(self, allowed=("GET", "HEAD")):
            return self.error(405, "METHOD_NOT_ALLOWED", "Method not allowed")
"""
