"""Hostile-but-plausible parameter values (TRN-04, TRN-05: no 5xx, no leak, whatever the suite sends).

Each value stands for one class of parser or database failure. How many a profile sends
(:func:`battery`): ``kind`` (smoke) sends each parameter the classes that probe the parser its type
goes through (:data:`BY_TYPE`): an integer parameter its overflows and non-numbers, a text parameter
its lengths, quotes and non-ASCII; ``spread`` (default) adds every other class once per operation,
dealt over its parameters in turn, so that every class reaches every operation; ``every``
(thorough) sends every class to every parameter.
"""

from __future__ import annotations

from collections.abc import Sequence

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


#: The batteries, least first: see the module's docstring.
MODES = ("kind", "spread", "every")


def battery(params: Sequence[Parameter], mode: str) -> list[tuple[Parameter, str, str]]:
    """(parameter, class, value) for the hostile values an operation with ``params`` gets in ``mode``."""
    if mode not in MODES:
        raise ValueError(f"unknown battery {mode!r}: one of {', '.join(MODES)}")
    if mode == "every":
        return [(p, label, value) for p in params for label, value in HOSTILE_VALUES.items()]
    out = [(p, label, HOSTILE_VALUES[label]) for p in params for label in BY_TYPE[kind_of(p)]]
    if mode == "spread" and params:
        for index, (label, value) in enumerate(HOSTILE_VALUES.items()):
            param = params[index % len(params)]
            if label not in BY_TYPE[kind_of(param)]:
                out.append((param, label, value))
    return out


def plausible_value(param: Parameter) -> str:
    """A value the parameter's schema accepts (for the repeated-parameter requests)."""
    for value in (param.example, param.default, *(param.enum or ())):
        if value is not None:
            return "true" if value is True else "false" if value is False else str(value)
    return "1"
