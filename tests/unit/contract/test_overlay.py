"""Overlays: applied before anything reads the spec, validated like it, refused when they are not Overlay
1.0, target nothing or change a documented point; the draft writer's actions reproduce its edits."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from conformance.contract import overlay as overlays
from conformance.adapt import draft as drafts
from conformance.contract import spec as specs


def write(tmp_path: Path, actions: list, name: str = "o.yaml", **top) -> Path:
    path = tmp_path / name
    document = {"overlay": "1.0.0", "info": {"title": "test", "version": "1"}, "actions": actions, **top}
    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    return path


def load(*paths: Path) -> specs.Spec:
    return specs.Spec(specs.default_spec_path(), [str(p) for p in paths])


def test_an_overlay_changes_what_the_suite_reads_and_is_recorded(tmp_path):
    path = write(tmp_path, [
        {"target": "$['x-api']['rate-limit']", "description": "the gateway's header names",
         "update": {"limit-header": "RateLimit-Limit"}},
        {"target": "$.paths.*.get['x-pagination']", "update": {"max-pagesize": 50}},
    ])
    spec = load(path)
    assert spec.api_view.rate_limit.limit_header == "RateLimit-Limit"
    # anchors are expanded: every list got its own copy, each changed
    assert {op.paging.max_pagesize for op in spec.list_operations} == {50}
    [applied] = spec.overlays
    assert applied.sha256 and [a.line() for a in applied.actions][0].startswith("update $['x-api']['rate-limit']")
    assert {"RATE-01", "RATE-03", "PAGE-01"} <= spec.overlaid_requirements
    assert "SRCH-01" not in spec.overlaid_requirements
    # the packaged spec itself is untouched
    assert specs.load().api_view.rate_limit.limit_header == "X-RateLimit-Limit"


def test_an_empty_overlay_changes_nothing(tmp_path):
    spec = load(write(tmp_path, []))
    assert spec.openapi_document() == specs.load().openapi_document()
    assert spec.overlaid_requirements == frozenset()


@pytest.mark.parametrize("actions, top, message", [
    ([{"target": "$.nowhere", "update": {"a": 1}}], {}, "matches nothing in the spec"),
    ([{"target": "not a path", "update": {"a": 1}}], {}, "not an OpenAPI Overlay 1.0"),
    ([{"target": "$['x-api']['auth']", "update": {"api-key-header": "x-key"}}], {}, "changes a documented point"),
    ([{"target": "$.paths['/tariffs']", "remove": True}], {}, "changes a documented point"),
    ([{"target": "$.components.parameters.Page", "update": {"name": "p"}}], {}, "changes a documented point"),
    ([{"target": "$['x-api']['errors']", "update": {"NOT_FOUND": 410}}], {}, "changes a documented point"),
    ([{"target": "$['x-api']['envelope']", "update": {"data-field": 5}}], {}, "does not match the schema"),
    ([{"target": "$.paths['/tariffs'].get['x-resource'].sort", "update": {"default": "nope"}}], {},
     "is not one of the sort fields"),
    ([], {"overlay": "2.0.0"}, "not an OpenAPI Overlay 1.0"),
])
def test_a_bad_overlay_is_a_usage_error_naming_the_action(tmp_path, actions, top, message):
    path = write(tmp_path, actions, **top)
    with pytest.raises(specs.SpecError) as caught:
        load(path)
    assert message in str(caught.value)
    assert str(path) in str(caught.value)
    if actions and "not an OpenAPI" not in message and "schema" not in message and "sort fields" not in message:
        assert "action 1" in str(caught.value)


def test_a_field_renamed_in_the_schema_but_not_in_x_resource_is_refused(tmp_path):
    path = write(tmp_path, [
        {"target": "$.components.schemas.Tariff.properties.created_at", "remove": True},
    ])
    with pytest.raises(specs.SpecError, match="'created_at' is not a property of the list's item schema"):
        load(path)


def test_overlays_apply_in_order(tmp_path):
    first = write(tmp_path, [{"target": "$['x-api']['rate-limit']", "update": {"limit-header": "A"}}], "1.yaml")
    second = write(tmp_path, [{"target": "$['x-api']['rate-limit']", "update": {"limit-header": "B"}}], "2.yaml")
    assert load(first, second).api_view.rate_limit.limit_header == "B"
    assert load(second, first).api_view.rate_limit.limit_header == "A"


def test_paths_come_from_options_else_the_environment(tmp_path):
    assert overlays.paths_from(["a.yaml"], {"IRIS_OVERLAY": "b.yaml"}) == (str(Path("a.yaml").resolve()),)
    assert overlays.paths_from(None, {"IRIS_OVERLAY": f"b.yaml:{tmp_path}/c.yaml"}) == (
        str(Path("b.yaml").resolve()), str(tmp_path / "c.yaml"))
    assert overlays.paths_from(None, {}) == ()


# ------------------------------------------------------------------------------- the draft writer

def test_draft_actions_reproduce_every_edit_and_load_as_an_overlay(tmp_path):
    base = specs.load().openapi_document()
    edits = [
        drafts.Deviation("ENV-01", "bare", [], "high", drafts.restructure_envelope(
            {"success-field": None, "data-field": "items", "detail-wrapped": False, "error-field": None})),
        drafts.Deviation("PAGE-02", "paging", [], "high", drafts.rename_pagination(
            {"meta-field": "paging", "pagesize-field": "per_page", "totalpages-field": "pages"})),
        drafts.Deviation("DET-01", "renames", [], "high", drafts.rename_fields(
            "#/components/schemas/Session", {"energy_kwh": "energy", "user_id": "userId"},
            everywhere={"energy_kwh": "energy", "user_id": "userId"},
            sort_renames={"/sessions": {"energy_kwh": "energy"}})),
        drafts.Deviation("PAGE-01", "bound", [], "high", drafts.set_max_pagesize(50)),
        drafts.Deviation("ENV-02", "ts", [], "high", drafts.set_timestamp_pattern(r"^\d{4}.*(Z|\+00:00)$")),
        drafts.Deviation("RATE-03", "headers", [], "high", drafts.rename_rate_limit_headers(
            {"limit-header": "RateLimit-Limit", "remaining-header": "RateLimit-Remaining"})),
    ]
    text, count = drafts.render(base, edits, title="t", header=["a draft"], unexplained=["something odd"])
    assert count > 10 and "# deviation 3 [DET-01] renames" in text and "#   - something odd" in text
    path = tmp_path / "draft.yaml"
    path.write_text(text, encoding="utf-8")
    spec = load(path)
    expected = copy.deepcopy(base)
    for deviation in edits:
        deviation.edit(expected)
    assert spec.openapi_document() == expected
    env = spec.envelope_view
    assert (env.success_field, env.data_field, env.detail_wrapped, env.error_field) == (None, "items", False, None)
    sessions = spec.operation("listSessions")
    assert sessions.paging.meta_field == "paging" and sessions.paging.max_pagesize == 50
    assert "energy" in sessions.resource_view.sort.fields and "energy_kwh" not in sessions.resource_view.sort.fields
    assert [f.field for f in sessions.resource_view.filters if f.param == "user_id"] == ["userId"]
    assert "userId" in sessions.resource_view.search.fields
    assert spec.operation("listSessions").parameter("sortby").enum.count("energy") == 1
    document = spec.openapi_document()
    error = specs.resolve_refs(document["components"]["responses"]["NotFound"], document)["content"][
        "application/json"]["schema"]
    shared, specific = error["allOf"]
    assert set(shared["properties"]) == {"code", "message", "details"} and shared["required"] == ["code", "message"]
    assert specific["properties"] == {"code": {"type": "string", "enum": ["NOT_FOUND"]}}


def test_the_diff_replaces_lists_and_renamed_keys_instead_of_merging_into_them():
    before = {"a": {"x": 1, "l": [1, 2]}, "b": 2}
    after = {"a": {"y": 1, "l": [2]}, "b": 3}
    found = drafts.actions(before, after)
    assert found == [{"target": "$['a']['x']", "remove": True}, {"target": "$['a']['l']", "remove": True},
                     {"target": "$['a']", "update": {"l": [2], "y": 1}}, {"target": "$", "update": {"b": 3}}]
