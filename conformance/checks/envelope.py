"""Reading responses through the envelope the spec describes (``x-api.envelope``, ``x-pagination``)."""

from __future__ import annotations

from typing import Any

from conformance.runtime.client import Exchange
from conformance.checks.expect import expect
from conformance.contract.spec import Operation, Spec


class Envelope:
    def __init__(self, spec: Spec):
        self.spec = spec
        self.names = spec.envelope_view  # the envelope's field names (typed)

    def data(self, exchange: Exchange, requirement_id: str = "ENV-01") -> Any:
        """A detail body's record (the ``data`` member, or the body itself where details are bare)."""
        body = exchange.body
        record = self.names.record(body)
        expect(isinstance(record, dict), requirement_id,
               f"the detail body has no record (expected {self.names.describe_success(False)})", exchange)
        return record

    def items(self, exchange: Exchange, requirement_id: str = "ENV-01") -> list[dict[str, Any]]:
        data_field = self.names.data_field
        body = exchange.body
        expect(isinstance(body, dict) and data_field in body, requirement_id,
               f"the body has no {data_field!r} member", exchange)
        data = body[data_field]
        expect(isinstance(data, list), requirement_id, f"the list's {data_field!r} is not an array", exchange)
        return data

    def page_info(self, exchange: Exchange, op: Operation, requirement_id: str = "PAGE-02") -> dict[str, int]:
        pag = op.paging
        body = exchange.body
        meta = body.get(pag.meta_field) if isinstance(body, dict) else None
        expect(isinstance(meta, dict), requirement_id, f"the body has no {pag.meta_field!r} object", exchange)
        out = {}
        for key, field in pag.info_fields.items():
            value = meta.get(field)
            expect(isinstance(value, int) and not isinstance(value, bool), requirement_id,
                   f"{pag.meta_field}.{field} is not an integer: {value!r}", exchange)
            out[key] = value
        return out

    def error_code(self, exchange: Exchange) -> Any:
        return self.names.error_code(exchange.body)

    def error_message(self, exchange: Exchange) -> str:
        error = self.names.error_object(exchange.body)
        message = error.get(self.names.error_message_field) if error is not None else None
        return message if isinstance(message, str) else ""

    def expect_error(self, exchange: Exchange, code: str, requirement_id: str, what: str) -> None:
        """The response is the error ``code`` with the status the spec gives it."""
        __tracebackhide__ = True
        status = self.spec.api_view.error_status(code)
        got = self.error_code(exchange)
        expect(exchange.status == status and got == code, requirement_id, what, exchange,
               expected=f"HTTP {status} with code {code}")
