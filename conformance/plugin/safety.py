"""Production safety and selection: which base URLs are sensitive (intrusive tests skipped there),
and ``--requirements`` to run the tests of some requirements only."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest

from conformance.contract import requirements
from conformance.verdicts import model as reporting
from conformance.plugin.state import maybe_run_state

LOOPBACK_HOSTS = re.compile(r"localhost|127(?:\.\d{1,3}){3}|::1|0:0:0:0:0:0:0:1", re.IGNORECASE)


def sensitivity(config: pytest.Config, base_url: str) -> tuple[bool, str]:
    """Whether ``base_url`` is sensitive, and why (for skip reasons and the report)."""
    pattern = config.getoption("iris_sensitive_url")
    source = "--sensitive-url"
    if pattern is None:
        pattern, source = config.getini("sensitive_url"), "ini sensitive_url"
    return judge_sensitivity(base_url, pattern, source)


def judge_sensitivity(base_url: str, pattern: str | None, source: str = "--sensitive-url") -> tuple[bool, str]:
    """Whether ``base_url`` is sensitive under ``pattern`` (None: every URL not on loopback), and why."""
    if pattern is not None:
        sensitive = re.search(pattern, base_url) is not None
        return sensitive, f"{'matches' if sensitive else 'does not match'} {source} {pattern!r}"
    host = urlsplit(base_url).hostname or ""
    if LOOPBACK_HOSTS.fullmatch(host):
        return False, "is on loopback"
    return True, "is not on loopback (by default every such URL is sensitive; see --sensitive-url)"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    state = maybe_run_state(config)
    if state is not None and not state.config.intrusive_allowed:
        skip = pytest.mark.skip(reason=f"not run: intrusive, and the base URL is sensitive (it "
                                       f"{state.config.sensitive_why}); --allow-intrusive runs it")
        for item in items:
            if item.get_closest_marker("intrusive"):
                item.add_marker(skip)
    wanted = requirements.parse_selection(config.getoption("iris_requirements"))
    if not wanted:
        return
    selected, deselected = [], []
    for item in items:
        chosen = requirements.selected(reporting.requirement_ids(item.iter_markers("requirement")), wanted)
        (selected if chosen else deselected).append(item)
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = selected
