"""Reading responses through the envelope the spec describes (``x-api.envelope``, ``x-pagination``)."""

from __future__ import annotations

from typing import Any

from conformance.client import Exchange
from conformance.expect import expect
from conformance.spec import Operation, Spec


class Envelope:
    def __init__(self, spec: Spec):
        self.spec = spec
        self.names = spec.envelope_view  # the envelope's field names (typed)
        self.fields = spec.envelope  # the same as a dictionary, for the tests not yet on ``names``

    def data(self, exchange: Exchange, requirement_id: str = "ENV-01") -> Any:
        body = exchange.body
        data_field = self.names.data_field
        expect(isinstance(body, dict) and data_field in body, requirement_id,
               f"the body has no {data_field!r} member", exchange)
        return body[data_field]

    def items(self, exchange: Exchange, requirement_id: str = "ENV-01") -> list[dict[str, Any]]:
        data = self.data(exchange, requirement_id)
        expect(isinstance(data, list), requirement_id, "the list's data is not an array", exchange)
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
        body = exchange.body
        if not isinstance(body, dict):
            return None
        error = body.get(self.names.error_field)
        return error.get(self.names.error_code_field) if isinstance(error, dict) else None

    def error_message(self, exchange: Exchange) -> str:
        body = exchange.body
        error = body.get(self.names.error_field) if isinstance(body, dict) else None
        message = error.get(self.names.error_message_field) if isinstance(error, dict) else None
        return message if isinstance(message, str) else ""

    def expect_error(self, exchange: Exchange, code: str, requirement_id: str, what: str) -> None:
        """The response is the error ``code`` with the status the spec gives it."""
        __tracebackhide__ = True
        status = self.spec.api_view.error_status(code)
        got = self.error_code(exchange)
        expect(exchange.status == status and got == code, requirement_id,
               f"{what}: expected HTTP {status} with code {code}, got HTTP {exchange.status} with code {got!r}",
               exchange)
