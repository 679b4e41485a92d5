"""Which operation of the spec a request is: ``GET /api/v1/.../stations/17`` -> ``GET /stations/{id}``.

One index per run (the spec's path templates under the deployment's base path), used to name the
operation a failure was seen on (waivers narrowed to operations, the report's matrix) from the
request itself, never from a failure's text.
"""

from __future__ import annotations

import posixpath
import re
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit

if TYPE_CHECKING:
    from conformance.contract.spec import Spec


def template_pattern(path: str) -> re.Pattern[str]:
    """A spec path (``/stations/{id}``) as a pattern matching its concrete paths."""
    return re.compile("".join("[^/]+" if part.startswith("{") else re.escape(part)
                              for part in re.split(r"(\{[^}]+\})", path)))


class OperationIndex:
    """The spec's operations by method and concrete path, under ``base_url``'s path."""

    def __init__(self, spec: "Spec", base_url: str = ""):
        self.base_path = urlsplit(base_url or "").path.rstrip("/")
        #: operation id -> label ("listStations" -> "GET /stations")
        self.labels = {op.operation_id: f"{op.method} {op.path}" for op in spec.operations.values()}
        #: (method, pattern, label), the longest template first (``/a/{id}`` before ``/a``)
        self.templates = sorted(((op.method, template_pattern(op.path), f"{op.method} {op.path}")
                                 for op in spec.operations.values()), key=lambda t: -len(t[1].pattern))

    def defines_path(self, url: str, decoded: bool = False) -> bool:
        """Whether the spec defines ``url``'s path, with any method. ``decoded``: the path as a server
        routes it too (percent-decoded, ``..`` resolved), so that ``/customers/..%2F..%2Fetc`` is not
        taken for a customer's detail."""
        path = urlsplit(url).path
        if self.base_path and path.startswith(self.base_path):
            path = path[len(self.base_path):]
        paths = [path, posixpath.normpath("/" + unquote(path).lstrip("/"))] if decoded else [path]
        return all(any(pattern.fullmatch(p) for _, pattern, _ in self.templates) for p in paths)

    def label(self, method: str, url: str) -> str | None:
        """The label of the operation ``method url`` is a request of, or None (an undefined path, or
        a method the spec does not define on it)."""
        path = urlsplit(url).path
        if self.base_path and path.startswith(self.base_path):
            path = path[len(self.base_path):]
        for op_method, pattern, label in self.templates:
            if op_method == method.upper() and pattern.fullmatch(path):
                return label
        return None

    def of_nodeid(self, nodeid: str) -> str | None:
        return operation_of_nodeid(self.labels, nodeid)


def operation_of_nodeid(labels: dict[str, str], nodeid: str) -> str | None:
    """The operation a test is parametrized with (``test_x[listStations]``, schemathesis'
    ``test_api[GET /stations]``), as a label, or None; ``labels``: operation id -> label."""
    match = re.search(r"\[([^\]]+)\]$", nodeid)
    if not match:
        return None
    for part in [match.group(1), *match.group(1).split("-")]:
        if part in labels:
            return labels[part]
        if part in labels.values():
            return part
    return None
