"""Hostile-but-plausible parameter values (TRN-04, TRN-05: no 5xx, no leak, whatever the suite sends).

Each value stands for one class of parser or database failure. The ``default`` and ``thorough``
profiles send every class to every parameter; the ``smoke`` profile sends each parameter the classes
that probe the parser its type goes through (:data:`BY_TYPE`): an integer parameter its overflows
and non-numbers, a text parameter its lengths, quotes and non-ASCII. Every class still reaches some
parameter of every operation that has one of its type, at a third of the requests.
"""

from __future__ import annotations

from conformance.contract.spec import Parameter

#: The hostile values, one per class of parser or database failure.
HOSTILE_VALUES: dict[str, str] = {
    "huge integer": "9" * 40,
    "one past int64": str(2**63),
    "4 KB of digits": "9" * 4096,
    "negative": "-1",
    "huge negative": "-" + "9" * 40,
    "float overflow": "1e309",
    "float underflow": "1e-400",
    "not a number": "NaN",
    "infinity": "-Infinity",
    "unicode": "Zürich 東京 🚗 مرحبا e\u0301",
    "invisible characters": "\u200b\ufeff\u202e",
    "4 KB string": "x" * 4096,
    "4 KB of unicode": "é" * 2048,
    "SQL quote": "' OR '1'='1' --",
    "SQL statement": "1; DROP TABLE x; --",
    "SQL union": "1 UNION SELECT NULL, NULL --",
    "empty": "",
    "whitespace": " \t ",
    "odd characters": "~!@#$%^&*()_+{}|:\"<>?`-=[]\\;',./",
    "path traversal": "../../../etc/passwd",
    "template": "{{7*7}}${7*7}<%= 7*7 %>",
}

#: The smoke profile's classes per kind of parameter: what its parser is likely to choke on.
BY_TYPE: dict[str, tuple[str, ...]] = {
    "integer": ("one past int64", "4 KB of digits", "float overflow"),
    "number": ("float overflow", "not a number", "4 KB of digits"),
    "boolean": ("not a number", "unicode", "empty"),
    "enum": ("unicode", "SQL quote", "empty"),
    "string": ("4 KB string", "unicode", "SQL quote", "path traversal"),
}


def kind_of(param: Parameter) -> str:
    """The kind of parser a parameter's values go through: integer, number, boolean, enum or string."""
    if param.enum:
        return "enum"
    return param.type if param.type in ("integer", "number", "boolean") else "string"


def values_for(param: Parameter, every_class: bool) -> dict[str, str]:
    """The hostile values a parameter gets: every class, or its kind's (:data:`BY_TYPE`)."""
    if every_class:
        return dict(HOSTILE_VALUES)
    return {label: HOSTILE_VALUES[label] for label in BY_TYPE[kind_of(param)]}


def plausible_value(param: Parameter) -> str:
    """A value the parameter's schema accepts (for the repeated-parameter requests)."""
    for value in (param.example, param.default, *(param.enum or ())):
        if value is not None:
            return "true" if value is True else "false" if value is False else str(value)
    return "1"
