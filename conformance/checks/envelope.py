"""Reading responses through the envelope the spec describes (``x-api.envelope``, ``x-pagination``)."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from conformance.runtime.client import Exchange
from conformance.checks.expect import expect, shown
from conformance.contract.operations import template_pattern
from conformance.contract.spec import Operation, Spec


class Envelope:
    def __init__(self, spec: Spec):
        self.spec = spec
        self.names = spec.envelope_view  # the envelope's field names (typed)

    def answered(self, exchange: Exchange) -> str:
        """The request of ``exchange`` as a failure names it, its path as the spec's (the deployment's base
        path left out): ``GET /stations/59``; the curl repro has the rest."""
        path = urlsplit(exchange.request.url or "").path
        for template in sorted(self.spec.paths, key=len, reverse=True):
            found = re.search(f"({template_pattern(template).pattern})$", path)
            if found:
                path = found.group(1)
                break
        return f"{(exchange.request.method or 'GET').upper()} {path}"

    def json(self, exchange: Exchange) -> Any:
        """The body, which must be JSON (RFC 8259) before its envelope can be read: a body that is not
        (a bare ``NaN``, text) is TRN-01's violation, not the envelope's."""
        __tracebackhide__ = True
        expect(exchange.is_json, "TRN-01", f"the body of {self.answered(exchange)}", exchange,
               expected="a JSON body (RFC 8259: no NaN or Infinity)", kind="a body that is not JSON")
        return exchange.body

    def data(self, exchange: Exchange, requirement_id: str = "ENV-01") -> Any:
        """A detail body's record (the ``data`` member, or the body itself where details are bare)."""
        body = self.json(exchange)
        record = self.names.record(body)
        expect(isinstance(record, dict), requirement_id, f"the record in the body of {self.answered(exchange)}",
               exchange, expected=f"{self.names.describe_success(False)} (an object)",
               kind="no record in the detail body")
        return record

    def items(self, exchange: Exchange, requirement_id: str = "ENV-01") -> list[dict[str, Any]]:
        data_field = self.names.data_field
        body = self.json(exchange)
        check = f"the {data_field!r} member of the body of {self.answered(exchange)}"
        expected = f"an array {data_field!r}"
        kind = f"no array {data_field!r}"  # the same violation on whichever request
        expect(isinstance(body, dict) and data_field in body, requirement_id, check, exchange, expected=expected,
               kind=kind)
        data = body[data_field]
        expect(isinstance(data, list), requirement_id, check, exchange, expected=expected, kind=kind)
        return data

    def page_info(self, exchange: Exchange, op: Operation, requirement_id: str = "PAGE-02") -> dict[str, int]:
        pag = op.paging
        body = self.json(exchange)
        meta = body.get(pag.meta_field) if isinstance(body, dict) else None
        expect(isinstance(meta, dict), requirement_id, f"the {pag.meta_field!r} object in the body of "
               f"{self.answered(exchange)}", exchange,
               expected=f"an object {pag.meta_field!r} with the integers {', '.join(pag.info_fields.values())}",
               kind=f"no object {pag.meta_field!r}")
        out = {}
        for key, field in pag.info_fields.items():
            value = meta.get(field)
            expect(isinstance(value, int) and not isinstance(value, bool), requirement_id,
                   f"{pag.meta_field}.{field} in the body of {self.answered(exchange)}", exchange,
                   expected="an integer",
                   got=f"{pag.meta_field}.{field} = {shown(value)}" if field in meta else f"no member {field!r}",
                   kind=f"{pag.meta_field}.{field} not an integer")
            out[key] = value
        return out

    def error_code(self, exchange: Exchange) -> Any:
        return self.names.error_code(exchange.body)

    def error_message(self, exchange: Exchange) -> str:
        error = self.names.error_object(exchange.body)
        message = error.get(self.names.error_message_field) if error is not None else None
        return message if isinstance(message, str) else ""

    def expect_message_names(self, exchange: Exchange, params: list[str], requirement_id: str, request: str) -> None:
        """The error message answering ``request`` names one of ``params``."""
        __tracebackhide__ = True
        message = self.error_message(exchange)
        expect(any(p in message for p in params), requirement_id, f"the error message answering {request}", exchange,
               expected=f"a message that names the parameter {' or '.join(params)}",
               got=f"the message {shown(message)}")

    def expect_error(self, exchange: Exchange, code: str, requirement_id: str, what: str) -> None:
        """The response is the error ``code`` with the status the spec gives it. ``what`` is the request
        checked (the answer's status and body say what came back)."""
        __tracebackhide__ = True
        status = self.spec.api_view.error_status(code)
        got = self.error_code(exchange)
        expect(exchange.status == status and got == code, requirement_id, what, exchange,
               expected=f"HTTP {status} with code {code}")

