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
