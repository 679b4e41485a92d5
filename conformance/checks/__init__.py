"""The oracles: an exchange or a record and a typed view of the spec in, typed violations out
(the every-response oracle, envelopes, records, geometry, timestamps, schemathesis' failures)."""
