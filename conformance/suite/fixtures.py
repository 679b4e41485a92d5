"""The run's fixtures the conformance tests use: the spec, HTTP sessions and authenticated clients,
keys, the profile's budget, and the parametrization of operations from the spec. They read the run the
plugin configured (:mod:`conformance.plugin.state`); ``conftest.py`` star-imports them, so that they
exist for the suite's tests only (not for every pytest run where the plugin is installed)."""

from __future__ import annotations

from typing import Callable

import pytest

from conformance.contract import spec as specs
from conformance.runtime.client import AnswerStore, ApiClient
from conformance.plugin.lifecycle import make_client, run_session
from conformance.plugin.options import BUDGETS, KEY_OPTIONS
from conformance.runtime.redaction import SECRETS
from conformance.inputs.targets import id_type
from conformance.plugin.state import run_state

#: Fixture name -> the operations of the spec it is parametrized with (one test per operation).
OPERATION_FIXTURES: dict[str, Callable[[specs.Spec], list[specs.Operation]]] = {
    "list_operation": lambda spec: spec.list_operations,
    "resource_operation": lambda spec: spec.resource_list_operations,
    "any_operation": lambda spec: list(spec.operations.values()),
    "detail_operation": lambda spec: spec.detail_operations,
    # the detail operations whose ids are integers (DET-02's invalid integers)
    "integer_id_operation": lambda spec: [op for op in spec.detail_operations if id_type(op) == "integer"],
    # the lists whose record schema carries invariants (SES-01) or whose records reference others (REF-01)
    "invariant_operation": lambda spec: [op for op in spec.resource_list_operations
                                         if any(rule.id == "SES-01" for rule in spec.record_schema(op).invariants)],
    "referencing_operation": lambda spec: [op for op in spec.resource_list_operations if op.resource_view.references],
    "geo_operation": lambda spec: [op for op in spec.list_operations if op.geo_view is not None],
}


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    spec = run_state(metafunc.config).config.spec
    for name, select in OPERATION_FIXTURES.items():
        if name in metafunc.fixturenames:
            ops = select(spec)
            metafunc.parametrize(name, ops, ids=[op.operation_id for op in ops], scope="session")


@pytest.fixture(scope="session")
def iris_spec(pytestconfig: pytest.Config) -> specs.Spec:
    """The loaded OpenAPI spec (``--spec``)."""
    return run_state(pytestconfig).config.spec


@pytest.fixture(scope="session")
def http_session(pytestconfig: pytest.Config):
    """The keep-alive session shared by the suite; a 429 is waited out and retried."""
    with run_session(pytestconfig, run_state(pytestconfig)) as session:
        yield session


@pytest.fixture(scope="session")
def probe_session(pytestconfig: pytest.Config):
    """A session that returns 429s as they come: for the rate-limit tests only."""
    with run_session(pytestconfig, run_state(pytestconfig), retry_429=False) as session:
        yield session


@pytest.fixture(scope="session")
def provoke_rate_limit(pytestconfig: pytest.Config) -> Callable[[float], None]:
    """``provoke_rate_limit(seconds)``: the rate-limit probe exhausts the key on purpose, so the 429s
    of the next ``seconds`` (seen by any test, on any worker) teach the run no slower pace."""
    return run_state(pytestconfig).runtime.ledger.provoke


@pytest.fixture(scope="session")
def intrusive_allowed(pytestconfig: pytest.Config) -> bool:
    """False against a sensitive base URL without --allow-intrusive: leave out what may trip alarms."""
    return run_state(pytestconfig).config.intrusive_allowed


@pytest.fixture(scope="session")
def api_base_url(base_url: str | None) -> str:
    if not base_url:
        pytest.skip("needs --base-url (env PYTEST_BASE_URL), or a run of the suite that starts the embedded server")
    return base_url


def _key(config: pytest.Config, name: str) -> str:
    option, env, dest = KEY_OPTIONS[name]
    value = config.getoption(dest)
    if not value:
        pytest.skip(f"needs {option} (env {env})")
    SECRETS.add(value)
    return value


@pytest.fixture(scope="session")
def api_key(pytestconfig: pytest.Config) -> str:
    return _key(pytestconfig, "primary")


@pytest.fixture(scope="session")
def other_tenant_key(pytestconfig: pytest.Config) -> str:
    return _key(pytestconfig, "other_tenant")


@pytest.fixture(scope="session")
def revoked_key(pytestconfig: pytest.Config) -> str:
    return _key(pytestconfig, "revoked")


@pytest.fixture(scope="session")
def expired_key(pytestconfig: pytest.Config) -> str:
    return _key(pytestconfig, "expired")


@pytest.fixture(scope="session")
def answer_store() -> AnswerStore:
    """The GET answers of the run in this process: one answer serves every check that can read it
    (``api.fresh()`` for a check that must send its request again)."""
    return AnswerStore()


@pytest.fixture(scope="session")
def api(pytestconfig, api_base_url, api_key, http_session, iris_spec, answer_store) -> ApiClient:
    """A client authenticated with the primary key (``--api-key``); a GET it already sent is answered
    from the run's answers (``api.fresh()`` sends it again)."""
    return make_client(pytestconfig, api_base_url, api_key, http_session, iris_spec).stored(answer_store)


@pytest.fixture(scope="session")
def shared_responses(pytestconfig):
    """The answers to discovery fetches that the run's xdist workers share
    (:class:`conformance.runtime.shared_responses.SharedResponses`; None in a serial run): pass it to
    ``ApiClient.sharing`` for a fetch that derives a test's inputs, never for one a test checks."""
    return run_state(pytestconfig).runtime.responses


@pytest.fixture(scope="session")
def discovery_api(api: ApiClient, shared_responses) -> ApiClient:
    """``api`` for the fetches that derive a test's inputs (first pages, the record sample, details):
    under xdist, each answer is fetched once for every worker of the run."""
    return api.sharing(shared_responses)


@pytest.fixture(scope="session")
def other_tenant_api(pytestconfig, api_base_url, other_tenant_key, http_session, iris_spec,
                     answer_store) -> ApiClient:
    """A client authenticated with the other tenant's key (``--other-tenant-key``)."""
    return make_client(pytestconfig, api_base_url, other_tenant_key, http_session, iris_spec).stored(answer_store)


@pytest.fixture(scope="session")
def probe_api(api: ApiClient, probe_session) -> ApiClient:
    """Like ``api`` but 429s come back as they are: for the rate-limit tests only."""
    return api.with_session(probe_session)


@pytest.fixture(scope="session")
def envelope(iris_spec: specs.Spec):
    """Reads bodies through the envelope the spec describes."""
    from conformance.checks.envelope import Envelope

    return Envelope(iris_spec)


@pytest.fixture(scope="session")
def budget(pytestconfig: pytest.Config) -> dict[str, int]:
    """Bounds for walks and samples under the selected --profile (cost flat in dataset size)."""
    return dict(BUDGETS[pytestconfig.getoption("iris_profile")])


@pytest.fixture(scope="session")
def iris_auth_headers(api: ApiClient) -> dict[str, str]:
    return api.auth_headers()
