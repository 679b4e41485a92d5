"""Deriving a test's inputs from the spec and live data: hypothesis strategies, concrete requests
of an operation, record samples deep in the data, and page walks."""
