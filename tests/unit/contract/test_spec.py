"""specs/openapi.yaml: valid OpenAPI, complete against the vendor docs, traced to the registry."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest
import yaml
from openapi_spec_validator import validate

from conformance.contract import requirements
from conformance.contract import spec as specs
from suite_runner import ROOT

DOCS = ROOT / "docs" / "iris-external-api-docs.txt"

# The vendor docs describe the operations in this order, each with its own parameter table.
DOC_OPERATIONS = [
    ("list of tariff plans", "listTariffs"),
    ("specific tariff plan", "getTariff"),
    ("list of customers", "listCustomers"),
    ("specific customer", "getCustomer"),
    ("list of charging stations", "listStations"),
    ("specific station", "getStation"),
    ("list of charging sessions", "listSessions"),
    ("specific charging session", "getSession"),
    ("list of chargers within", "getChargerStatus"),
]
COMMON_ON = {"page": "list", "pagesize": "list", "search": "resource", "sortby": "resource", "orderby": "resource"}


@pytest.fixture(scope="module")
def spec() -> specs.Spec:
    return specs.load(str(specs.default_spec_path()))


def _doc_tables() -> tuple[list[str], dict[str, list[str]]]:
    """(common parameters, {operationId: parameters}) parsed from the docs text."""
    text = DOCS.read_text(encoding="utf-8")
    blocks = re.split(r"\n(?=Retrieve )", text)
    names = lambda block: re.findall(r"^([a-z_]+) \|$", block, flags=re.M)  # noqa: E731
    common = names(blocks[0])
    per_op: dict[str, list[str]] = {}
    for block in blocks[1:]:
        heading = block.splitlines()[0]
        op = next(op for phrase, op in DOC_OPERATIONS if phrase in heading)
        per_op[op] = names(block.split("\n| Error Code")[0])
    return common, per_op


def test_spec_is_valid_openapi(spec):
    validate(yaml.safe_load(spec.text))


def test_docs_parse_finds_every_operation():
    common, per_op = _doc_tables()
    assert common == ["page", "pagesize", "search", "sortby", "orderby"]
    assert set(per_op) == {op for _, op in DOC_OPERATIONS}


def test_every_documented_operation_is_a_get_in_the_spec(spec):
    for _, op_id in DOC_OPERATIONS:
        assert op_id in spec.operations, f"{op_id} missing from the spec"
        assert spec.operation(op_id).method == "GET"
    assert len(spec.operations) == len(DOC_OPERATIONS)


def test_every_documented_parameter_is_in_the_spec(spec):
    common, per_op = _doc_tables()
    for op_id, params in per_op.items():
        op = spec.operation(op_id)
        declared = {p.name for p in op.parameters}
        missing = set(params) - declared
        assert not missing, f"{op_id} lacks documented parameters {missing}"
        for name in common:
            if COMMON_ON[name] == "list" and op.is_list or COMMON_ON[name] == "resource" and op.resource_view:
                assert name in declared, f"{op_id} lacks the common parameter {name}"


def test_both_security_schemes_are_declared(spec):
    schemes = spec.openapi_document()["components"]["securitySchemes"].values()
    assert {"type": "apiKey", "in": "header", "name": "x-api-key"}.items() <= next(
        s for s in schemes if s["type"] == "apiKey").items()
    assert any(s["type"] == "http" and s["scheme"].lower() == "bearer" for s in schemes)


def test_every_error_code_of_the_contract_is_in_the_spec(spec):
    assert spec.api_view.errors == {
        "VALIDATION_ERROR": 400, "MISSING_API_KEY": 401, "INVALID_KEY_FORMAT": 401, "INVALID_API_KEY": 401,
        "NOT_FOUND": 404, "METHOD_NOT_ALLOWED": 405, "RATE_LIMIT_EXCEEDED": 429, "INTERNAL_ERROR": 500,
    }
    enum = spec.openapi_document()["components"]["schemas"]["ErrorCode"]["enum"]
    assert set(enum) == set(spec.api_view.errors)


def test_requirement_ids_in_the_spec_are_registered(spec):
    found = set(re.findall(r"\b[A-Z]+(?:-[A-Z]+)?-\d\d\b", " ".join(
        str(v) for v in _walk(spec.openapi_document(), "x-requirements"))))
    assert found, "the spec carries no x-requirements"
    unknown = found - set(requirements.registry())
    assert not unknown, f"x-requirements name IDs the registry does not have: {unknown}"


def test_every_operation_carries_requirements_and_list_extensions(spec):
    for op in spec.operations.values():
        assert op.requirements, f"{op.operation_id} has no x-requirements"
    for op in spec.list_operations:
        assert isinstance(op.paging, specs.Pagination)  # page-param, pagesize-param, max-pagesize, total-field...
    assert {op.operation_id for op in spec.resource_list_operations} == {
        "listTariffs", "listCustomers", "listStations", "listSessions"}
    assert spec.operation("getChargerStatus").geo_view.earth_radius_km == pytest.approx(6371.0088)


def _walk(node, key):
    if isinstance(node, dict):
        for k, v in node.items():
            if k == key:
                yield v
            yield from _walk(v, key)
    elif isinstance(node, list):
        for item in node:
            yield from _walk(item, key)


# ----------------------------------------------------------------------- validation at load

SPEC_TEXT = specs.default_spec_path().read_text(encoding="utf-8")


def mutated(tmp_path: Path, old: str, new: str, *, after: str = "") -> Path:
    """A copy of the spec with the first ``old`` after ``after`` replaced by ``new``."""
    start = SPEC_TEXT.index(after) if after else 0
    index = SPEC_TEXT.index(old, start)
    path = tmp_path / "openapi.yaml"
    path.write_text(SPEC_TEXT[:index] + new + SPEC_TEXT[index + len(old):], encoding="utf-8")
    return path


def load_error(path: Path) -> str:
    with pytest.raises(specs.SpecError) as info:
        specs.Spec(path)
    message = str(info.value)
    assert str(path) in message, "the message names the file"
    return message


def test_the_extension_schema_is_a_valid_draft_2020_12_schema():
    import jsonschema

    schema = specs.extensions_schema()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(schema)


def test_the_shipped_spec_loads_without_problems():
    spec = specs.Spec(specs.default_spec_path())
    assert spec.operations and spec.envelope_view.data_field == "data"


def test_every_extension_the_spec_uses_is_in_the_schema():
    used = {key for _, node in specs._walk(yaml.safe_load(SPEC_TEXT)) if isinstance(node, dict)
            for key in node if key.startswith("x-")}
    assert used == set(specs.known_extensions())


def test_a_misspelt_key_names_the_missing_and_the_unknown_key(tmp_path):
    path = mutated(tmp_path, "orderby-param: orderby", "order-by-param: orderby", after="\n  /sessions:")
    message = load_error(path)
    assert "paths./sessions.get.x-resource.sort: missing key 'orderby-param'; unknown key 'order-by-param' " \
           "(did you mean 'orderby-param'?)" in message


def test_a_missing_key_is_named_with_its_location(tmp_path):
    path = mutated(tmp_path, "        radius-param: radius\n", "", after="x-geo:")
    assert "paths./chargers/status.get.x-geo: missing key 'radius-param'" in load_error(path)


def test_a_wrong_type_is_named_with_its_key_and_location(tmp_path):
    path = mutated(tmp_path, "earth-radius-km: 6371.0088", "earth-radius-km: 'about 6371'")
    assert "paths./chargers/status.get.x-geo: key 'earth-radius-km': 'about 6371' is not of type 'number'" \
        in load_error(path)


def test_a_wrong_value_of_an_enum_is_named(tmp_path):
    path = mutated(tmp_path, "{param: state, field: state, match: equals-ci}",
                   "{param: state, field: state, match: equals-ci-prefix}")
    message = load_error(path)
    assert "paths./stations.get.x-resource.filters[1]: key 'match': 'equals-ci-prefix' is not one of" in message


def test_a_misspelt_extension_name_is_refused_with_a_suggestion(tmp_path):
    path = mutated(tmp_path, "x-semantic-validation: [400]", "x-semantic-validaton: [400]")
    assert "paths./sessions.get: unknown extension 'x-semantic-validaton' (did you mean 'x-semantic-validation'?)" \
        in load_error(path)


def test_an_extension_in_the_wrong_place_is_refused(tmp_path):
    path = mutated(tmp_path, "      x-case-insensitive: true\n", "      x-geo: true\n", after="    OrderBy:")
    assert "components.parameters.OrderBy: the extension 'x-geo' is not allowed on this element" in load_error(path)


def test_an_unregistered_requirement_id_is_refused(tmp_path):
    path = mutated(tmp_path, "x-requirements: [GEO-01]\n", "x-requirements: [GEO-11]\n", after="    Lat:")
    assert "components.parameters.Lat.x-requirements: unknown requirement ID 'GEO-11'" in load_error(path)


def test_a_name_that_refers_to_nothing_is_refused(tmp_path):
    path = mutated(tmp_path, "detail-operation: getStation", "detail-operation: getStations")
    assert "paths./stations.get.x-resource: key 'detail-operation': no operation has the operationId " \
           "'getStations' (did you mean 'getStation'?)" in load_error(path)
    path = mutated(tmp_path, "{param: city, field: city, match: equals-ci}",
                   "{param: town, field: city, match: equals-ci}")
    assert "paths./stations.get.x-resource.filters[0]: key 'param': listStations declares no query parameter 'town'" \
        in load_error(path)


def test_a_default_outside_the_allowed_values_is_refused(tmp_path):
    path = mutated(tmp_path, "default: start_time", "default: end_time", after="\n  /sessions:")
    assert "paths./sessions.get.x-resource.sort: key 'default': 'end_time' is not one of the sort fields" \
        in load_error(path)


def test_an_unquoted_status_key_and_a_dangling_ref_are_refused(tmp_path):
    path = mutated(tmp_path, "'405': {$ref: '#/components/responses/MethodNotAllowed'}",
                   "405: {$ref: '#/components/responses/MethodNotAllowed'}")
    assert "paths./tariffs.get.responses: the key 405 is read as int" in load_error(path)
    path = mutated(tmp_path, "$ref: '#/components/parameters/StationCity'", "$ref: '#/components/parameters/City'")
    assert "paths./stations.get.parameters[5]: $ref '#/components/parameters/City' does not resolve" \
        in load_error(path)


def test_the_openapi_structure_the_suite_reads_is_checked(tmp_path):
    path = mutated(tmp_path, "      operationId: getSession\n", "")
    assert "paths./sessions/{id}.get: missing key 'operationId'" in load_error(path)
    path = mutated(tmp_path, "        '405': {$ref: '#/components/responses/MethodNotAllowed'}\n", "",
                   after="operationId: getCustomer\n")
    assert "paths./customers/{id}.get.responses: no '405' response" in load_error(path)


# ----------------------------------------------------------------------------- typed views

def assert_view_of(view, data, where: str) -> None:
    """Every key of the extension object ``data`` is an attribute of ``view`` (``a-b`` is ``a_b``) with
    the same value, recursively; an attribute without its key holds its documented default."""
    names = {f.name for f in dataclasses.fields(view)}
    missing = {key for key in data if key.replace("-", "_") not in names}
    assert not missing, f"{where}: {type(view).__name__} has no attribute for {sorted(missing)}"
    for name in names:
        key = name.replace("_", "-")
        value = getattr(view, name)
        if key not in data:
            continue
        if dataclasses.is_dataclass(value):
            assert_view_of(value, data[key], f"{where}.{key}")
        elif isinstance(data[key], list) and data[key] and isinstance(data[key][0], dict):
            assert len(value) == len(data[key]), f"{where}.{key}"
            for index, (item, raw) in enumerate(zip(value, data[key])):
                assert_view_of(item, raw, f"{where}.{key}[{index}]")
        elif isinstance(data[key], list):
            assert value == tuple(data[key]), f"{where}.{key}"
        else:
            assert value == data[key], f"{where}.{key}"


def test_the_views_hold_every_key_of_every_extension(spec):
    document = specs.resolve_refs(spec.openapi_document(), spec.openapi_document())
    assert_view_of(spec.api_view, document["x-api"], "x-api")
    for op in spec.operations.values():
        raw = document["paths"][op.path][op.method.lower()]
        if op.is_list:
            assert_view_of(op.paging, raw["x-pagination"], f"{op.operation_id}.x-pagination")
        if "x-resource" in raw:
            assert_view_of(op.resource_view, raw["x-resource"], f"{op.operation_id}.x-resource")
        else:
            assert op.resource_view is None
        if "x-geo" in raw:
            assert_view_of(op.geo_view, raw["x-geo"], f"{op.operation_id}.x-geo")
        else:
            assert op.geo_view is None


def test_pagination_view(spec):
    paging = spec.operation("listTariffs").paging
    assert isinstance(paging, specs.Pagination)
    assert (paging.page_param, paging.pagesize_param, paging.default_page, paging.default_pagesize,
            paging.max_pagesize) == ("page", "pagesize", 1, 10, 100)
    assert paging.meta_field == "pagination"
    assert paging.info_fields == {"page": "page", "pagesize": "pagesize", "total": "total",
                                  "totalpages": "totalpages"}
    with pytest.raises(LookupError, match="getTariff is not a list operation"):
        spec.operation("getTariff").paging


def test_resource_sort_search_and_filter_views(spec):
    res = spec.operation("listSessions").resource_view
    assert isinstance(res, specs.Resource) and isinstance(res.sort, specs.Sort)
    assert (res.name, res.id_field, res.id_type, res.detail_operation) == ("session", "id", "integer", "getSession")
    sort = res.sort
    assert (sort.sortby_param, sort.orderby_param, sort.default, sort.default_order, sort.tiebreak) == \
        ("sortby", "orderby", "start_time", "ASC", "id")
    assert sort.orders == ("ASC", "DESC")
    assert sort.fields == {"id": "integer", "start_time": "timestamp", "energy_kwh": "number", "cost": "number"}
    assert res.search == specs.Search(param="search", fields=("user_id", "charge_point_id"))
    assert res.search_param == "search"
    status = res.filter_for("status")
    assert status == specs.Filter(param="status", field="status", match="enum", values=("STARTED", "STOPPED", "FAILED"))
    start = res.filter_for("start_date")
    assert (start.match, start.format, start.timezone, start.inclusive) == \
        ("datetime-from", "%Y-%m-%d %H:%M:%S", "UTC", True)
    with pytest.raises(KeyError, match="no filter 'colour'"):
        res.filter_for("colour")
    assert res.references[2] == specs.Reference(field="tariff_id", operation="getTariff", nullable=True)
    assert res.reference_members[0].parent_operation == "getStation"
    assert res.reference_members[1].parent_operation is None
    assert res.reference_members[1].parent_collection == "charge_points"
    assert spec.operation("listCustomers").resource_view.filters == ()
    assert spec.operation("listTariffs").resource_view.filter_for("isactive").values == ()


def test_search_param_is_none_without_searched_fields():
    sort = {"sortby-param": "s", "orderby-param": "o", "fields": {"id": "integer"}, "default": "id",
            "orders": ["ASC"], "default-order": "ASC", "tiebreak": "id"}
    base = {"name": "x", "id-field": "id", "id-type": "integer", "detail-operation": "getX", "sort": sort}
    assert specs.Resource.from_spec(base).search_param is None
    assert specs.Resource.from_spec(dict(base, search={"param": "q", "fields": []})).search_param is None
    assert specs.Resource.from_spec(dict(base, search={"param": "q", "fields": ["name"]})).search_param == "q"


def test_geo_view(spec):
    geo = spec.operation("getChargerStatus").geo_view
    assert isinstance(geo, specs.Geo)
    assert (geo.lat_param, geo.lng_param, geo.radius_param, geo.unit_param) == ("lat", "lng", "radius", "radius_unit")
    assert geo.units == {"km": 1.0, "m": 0.001} and geo.default_unit == "km"
    assert geo.earth_radius_km == pytest.approx(6371.0088)
    assert geo.tolerance == specs.Tolerance(relative=0.005, absolute_m=5)
    assert geo.order == ("distance", "station_id", "charge_point_id")
    assert (geo.station_operation, geo.station_list_operation) == ("getStation", "listStations")


def test_api_view(spec):
    api = spec.api_view
    assert isinstance(api, specs.Api)
    assert (api.auth.api_key_header, api.auth.bearer_scheme, api.auth.key_prefix, api.auth.status) == \
        ("x-api-key", "Bearer", "iris_", 401)
    assert api.auth.codes == specs.AuthCodes(missing="MISSING_API_KEY", format="INVALID_KEY_FORMAT",
                                             invalid="INVALID_API_KEY")
    assert api.auth.www_authenticate is True
    assert api.auth.tenant_override_params == ("tenant_id", "tenantId")
    assert api.rate_limit == specs.RateLimit(status=429, code="RATE_LIMIT_EXCEEDED", retry_after_header="Retry-After",
                                             limit_header="X-RateLimit-Limit",
                                             remaining_header="X-RateLimit-Remaining")
    assert spec.envelope_view is api.envelope
    assert api.envelope == specs.EnvelopeFields(success_field="success", data_field="data", error_field="error",
                                                error_code_field="code", error_message_field="message")
    assert api.errors == spec.openapi_document()["x-api"]["errors"]
    assert api.error_status("NOT_FOUND") == 404 == spec.error_status("NOT_FOUND")
    assert re.fullmatch(api.timestamp_pattern, "2026-11-20T08:15:00Z")
    assert api.base_path == "/api/v1/d2s/external"


def test_an_optional_key_takes_its_default():
    auth = specs.Auth.from_spec({"api-key-header": "k", "bearer-scheme": "Bearer", "key-prefix": "p_", "status": 401,
                                 "codes": {"missing": "A", "format": "B", "invalid": "C"},
                                 "tenant-override-params": [], "tenant-override-headers": []})
    assert auth.www_authenticate is True and auth.tenant_override_params == ()


def test_views_are_frozen_and_hashable(spec):
    res = spec.operation("listStations").resource_view
    with pytest.raises(dataclasses.FrozenInstanceError):
        res.sort.default = "name"
    with pytest.raises(TypeError):
        res.sort.fields["id"] = "string"
    data = spec.openapi_document()["paths"]["/stations"]["get"]["x-resource"]
    assert hash(res) == hash(specs.Resource.from_spec(data))
    assert {spec.api_view, spec.operation("getChargerStatus").geo_view, spec.operation("listStations").paging}
    assert spec.operation("listStations").resource_view is res, "built once per operation"


def test_parameter_requirements(spec):
    op = spec.operation("listStations")
    assert op.parameter_requirements("city") == ("FLT-STA-01", "FLT-01")
    assert spec.operation("listCustomers").parameter_requirements("orderby") == ("SORT-01",)
    with pytest.raises(KeyError):
        op.parameter_requirements("colour")


# ----------------------------------------------------------------- parameters, schemas, responses

def test_parameter_view(spec):
    op = spec.operation("listStations")
    assert all(isinstance(p, specs.Parameter) for p in op.parameters)
    assert [p.name for p in op.parameters][:5] == ["page", "pagesize", "search", "sortby", "orderby"]
    pagesize = op.parameter("pagesize")
    assert (pagesize.location, pagesize.required, pagesize.type, pagesize.minimum, pagesize.maximum,
            pagesize.default) == ("query", False, "integer", 1, 100, 10)
    assert pagesize.requirements[0] == "PAGE-01"
    assert op.parameter("sortby").enum == ("id", "name", "city", "state", "created_at")
    orderby = op.parameter("orderby")
    assert orderby.pattern and orderby.case_insensitive and not op.parameter("city").case_insensitive
    assert op.parameter("city").example == "Mumbai" and op.parameter("always_open").type == "boolean"
    detail = spec.operation("getTariff").parameter("id")
    assert (detail.location, detail.required, detail.type, detail.minimum, detail.format) == \
        ("path", True, "integer", 1, None)
    assert spec.operation("getTariff").path_params == ["id"]
    with pytest.raises(KeyError, match="no parameter 'colour'"):
        op.parameter("colour")


def test_parameter_schema_is_whole_for_a_validator(spec):
    schema = spec.operation("listStations").parameter("pagesize").schema.json_schema()
    assert schema["type"] == "integer" and schema["maximum"] == 100
    schema["maximum"] = 5  # a copy: the spec does not change
    assert spec.operation("listStations").parameter("pagesize").maximum == 100


def test_response_schema_view(spec):
    body = spec.operation("listSessions").response_schema("200")
    assert isinstance(body, specs.Schema) and body.required == ("success", "data", "pagination")
    session = body.properties[spec.envelope_view.data_field].items
    assert session.type == "object" and "end_time" in session.required
    end = session.properties["end_time"]
    assert (end.format, end.nullable) == ("date-time", True)
    assert session.invariants == (
        specs.Invariant(id="SES-01", when={"status": "STARTED"}, field="end_time", must_be="null"),
        specs.Invariant(id="SES-01", when={"status": "STOPPED"}, field="end_time", must_be="not-null",
                        gte_field="start_time"))
    assert body.declares_format("date-time") and not spec.operation("listSessions").parameter("page").schema \
        .declares_format("date-time")
    assert spec.operation("listSessions").response_schema("418") is None
    assert hash(body) == hash(spec.operation("listSessions").response_schema("200"))


def test_what_the_transport_and_schema_checks_read(spec):
    sessions = spec.operation("listSessions")
    assert sessions.semantic_statuses == (400,) and spec.operation("listTariffs").semantic_statuses == ()
    assert re.search(sessions.allow_pattern, "GET, HEAD") and not re.search(sessions.allow_pattern, "POST")
    assert ("405", "Allow") in {(h.status, h.name) for h in sessions.response_headers}
    retry = next(h for h in sessions.response_headers if h.name == "Retry-After")
    assert retry.status == "429" and isinstance(retry.schema, specs.Schema)
    assert spec.methods_on("/sessions") == ("GET",) and spec.methods_on("/nowhere") == ()
    assert sessions.requirements and isinstance(sessions.requirements, tuple)


def test_the_spec_gives_views_not_its_dictionaries(spec):
    for name in ("raw", "document", "base_raw", "api", "envelope"):
        assert not hasattr(spec, name), name
    op = spec.operation("listSessions")
    for name in ("raw", "pagination", "resource", "geo"):
        assert not hasattr(op, name), name
    document = spec.openapi_document()
    assert document["paths"]["/sessions"]["get"]["operationId"] == "listSessions"
    assert "$ref" in document["paths"]["/sessions"]["get"]["parameters"][0]  # as written
    document["paths"].clear()  # a copy
    assert spec.openapi_document()["paths"] and spec.operation("listSessions").paging.max_pagesize == 100


# ------------------------------------------------------------------ documents: operations and $refs

def test_operations_in_a_document_are_its_http_methods():
    document = {"paths": {"/a": {"parameters": [{"name": "x"}], "summary": "s", "x-note": {"a": 1},
                                 "get": {"operationId": "getA"}, "DELETE": {"operationId": "deleteA"}},
                          "/b": None, "/c": {"post": "not an operation"}}}
    assert [(p, m, body["operationId"]) for p, m, body in specs.operations_in(document)] == [
        ("/a", "get", "getA"), ("/a", "DELETE", "deleteA")]
    assert list(specs.operations_in({"paths": ["broken"]})) == [] and list(specs.operations_in({})) == []


DOCUMENT = {
    "components": {"schemas": {"A": {"$ref": "#/components/schemas/B"}, "B": {"type": "object", "properties": {
        "self": {"$ref": "#/components/schemas/B"}}}, "a/b": {"type": "string"}, "L": [{"type": "integer"}]}},
    "top": {"$ref": "#/components/schemas/A"},
}


def test_deref_follows_a_chain_of_refs_and_names_the_last_pointer():
    assert specs.deref(DOCUMENT, DOCUMENT["top"]) == ("#/components/schemas/B", DOCUMENT["components"]["schemas"]["B"])
    assert specs.deref(DOCUMENT, {"type": "string"}) == (None, {"type": "string"})
    assert specs.deref(DOCUMENT, {"$ref": "#/components/schemas/a~1b"})[1] == {"type": "string"}
    assert specs.resolve_pointer(DOCUMENT, "#/components/schemas/L/0") == {"type": "integer"}
    assert specs.resolve_pointer(DOCUMENT, "/components/schemas/a~1b") == {"type": "string"}
    with pytest.raises(specs.UnresolvedRef, match=r"\$ref '#/components/schemas/C' does not resolve \(no 'C'\)"):
        specs.deref(DOCUMENT, {"$ref": "#/components/schemas/C"})


def test_resolve_refs_copies_with_refs_replaced_stops_at_cycles_and_reports_dangling_ones():
    problems: list = []
    resolved = specs.resolve_refs({"x": DOCUMENT["top"], "y": [{"$ref": "#/nowhere"}]}, DOCUMENT, problems=problems)
    b = resolved["x"]
    assert b["type"] == "object" and b["properties"]["self"] == {"$ref": "#/components/schemas/B"}  # the cycle
    assert resolved["y"] == [{"$ref": "#/nowhere"}]
    assert problems == [(("y", 0), "$ref '#/nowhere' does not resolve (no 'nowhere')")]
    assert DOCUMENT["top"] == {"$ref": "#/components/schemas/A"}, "the document itself is not changed"
