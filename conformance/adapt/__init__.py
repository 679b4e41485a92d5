"""``iris-conformance adapt``: probing a deployment (:mod:`.probe`) and drafting the overlay that
describes how it differs on ASSUMED points (:mod:`.draft`)."""
