"""The contract: the only reader of ``openapi.yaml`` (typed views of the spec and its vendor
extensions, overlays, validation) and the requirement registry."""
