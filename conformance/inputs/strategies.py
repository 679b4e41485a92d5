"""Hypothesis strategies and settings shared by the suite's property tests."""

from __future__ import annotations

from typing import Any

from hypothesis import settings, strategies as st

#: Text that can travel in a query string (no lone surrogates).
QUERY_TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=20)

#: A case pattern for a word, applied cyclically by :func:`recase`: True upper-cases that letter.
CASE_MASKS = st.lists(st.booleans(), min_size=1, max_size=16)


def recase(word: str, mask: list[bool]) -> str:
    """``word`` with letter ``i`` upper-cased when ``mask[i % len(mask)]``, else lower-cased."""
    return "".join(c.upper() if mask[i % len(mask)] else c.lower() for i, c in enumerate(word))


def mixed_case(word: str) -> st.SearchStrategy[str]:
    """``word`` with each letter in upper or lower case."""
    return st.lists(st.booleans(), min_size=len(word), max_size=len(word)).map(lambda mask: recase(word, mask))


#: Near misses of an integer >= 1 in plain ASCII digits (contract §6: "Integers are plain ASCII
#: digits"): what a lenient parser reads as a number anyway. Python's ``int()`` takes a sign, spaces,
#: underscores and non-ASCII digits; JavaScript's ``parseInt`` and Go's ``Atoi`` take some of them; a
#: float parser takes ``1.0`` and ``1e2``; ``0`` and negatives are integers but not >= 1.
INTEGER_NEAR_MISSES = ("0", "-1", "00", "+1", " 1", "1 ", "1.0", "1.5", "1e2", "0x10", "0b1", "1_0", "1,2", "١",
                       "\uff11", "abc")


def is_positive_integer(text: str) -> bool:
    """``text`` is an integer >= 1 written in plain ASCII digits (the contract's only spelling)."""
    return text.isascii() and text.isdigit() and int(text) >= 1


def not_positive_integers(upper: int | None = None) -> st.SearchStrategy[str]:
    """Values a parameter that takes an integer >= 1 (at most ``upper``) must refuse: the classic near
    misses (:data:`INTEGER_NEAR_MISSES`), integers below 1 or above ``upper`` in any magnitude, and
    printable text that is not plain ASCII digits (the whole space a lenient parser may accept)."""
    out_of_range = [st.integers(max_value=0).map(str)]
    if upper is not None:
        out_of_range.append(st.integers(min_value=upper + 1).map(str))
    text = st.text(st.characters(min_codepoint=0x20, blacklist_categories=("Cs", "Cc"), blacklist_characters="/"),
                   min_size=1, max_size=12)
    return st.one_of(st.sampled_from(INTEGER_NEAR_MISSES), *out_of_range,
                     text.filter(lambda s: not is_positive_integer(s) and s.strip(".") != ""))


def few() -> settings:
    """Settings for property tests that send several requests per example: an eighth of the
    examples the loaded profile runs (at least one)."""
    return settings(max_examples=max(1, settings().max_examples // 8))


def __getattr__(name: str) -> Any:
    # FEW is computed when it is imported, not when this module is: the run's hypothesis profile is
    # loaded by the plugin (pytest_configure), and a module imported earlier must not freeze the default.
    if name == "FEW":
        return few()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
