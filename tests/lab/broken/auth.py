"""Deliberate defects of authentication and tenancy (AUTH-01..07, TEN-01, TEN-02): what a real
implementation gets wrong, each one small subclass of one component.

The few defects that play a server deciding from the path or the query before (or instead of) the
key's tenant read the request's ASGI ``scope``, which the clean authenticator ignores.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace
from typing import Any
from urllib.parse import unquote

from conformance.reference.auth import AuthFailure, Authenticator, Principal
from conformance.reference.db import key_hash
from conformance.reference.query import ValidationFailed, parse_query_string
from conformance.reference.repository import Repository

from ..defects import defect
from ..dialects import dialect_of

TENANT_HEADER = "x-tenant-id"
TENANT_PARAMS = ("tenant_id", "tenantId")


# ---------------------------------------------------------------------------------------- AUTH-01

@defect("auth-01-bearer-not-accepted", requirement="AUTH-01", component="authenticator",
        description="only the x-api-key header is read; Authorization: Bearer counts as no credential")
class BearerNotAcceptedAuthenticator(Authenticator):
    def credential(self, headers: Mapping[str, str]) -> str | None:
        return (headers.get("x-api-key") or "").strip() or None


@defect("auth-01-bearer-scheme-case-sensitive", requirement="AUTH-01", component="authenticator",
        description="the Bearer scheme name is compared case-sensitively: 'bearer <key>' is no credential")
class BearerSchemeCaseSensitiveAuthenticator(Authenticator):
    def credential(self, headers: Mapping[str, str]) -> str | None:
        scheme = (headers.get("authorization") or "").strip().split(None, 1)[:1]
        if not (headers.get("x-api-key") or "").strip() and scheme and scheme[0] != "Bearer":
            return None
        return super().credential(headers)


@defect("auth-01-bearer-wins", requirement="AUTH-01", component="authenticator",
        description="when both headers are sent the Bearer token is used, not x-api-key")
class BearerWinsAuthenticator(Authenticator):
    def credential(self, headers: Mapping[str, str]) -> str | None:
        without_key = {k: v for k, v in headers.items() if k.lower() != "x-api-key"}
        return super().credential(without_key) or super().credential(headers)


# ---------------------------------------------------------------------------------------- AUTH-02

@defect("auth-02-empty-key-is-invalid-format", requirement="AUTH-02", component="authenticator",
        description="an empty (or blank) x-api-key header counts as a credential: 401 INVALID_KEY_FORMAT")
class EmptyKeyInvalidFormatAuthenticator(Authenticator):
    def credential(self, headers: Mapping[str, str]) -> str | None:
        if "x-api-key" in headers:
            return headers["x-api-key"].strip()
        return super().credential(headers)


@defect("auth-02-any-scheme-accepted", requirement="AUTH-02", component="authenticator",
        description="the token of any Authorization scheme (Basic, Token, ...) is taken as the key")
class AnySchemeAcceptedAuthenticator(Authenticator):
    def credential(self, headers: Mapping[str, str]) -> str | None:
        found = super().credential(headers)
        if found is None:
            parts = (headers.get("authorization") or "").strip().split(None, 1)
            found = parts[1].strip() or None if len(parts) == 2 else None
        return found


# ---------------------------------------------------------------------------------------- AUTH-03

@defect("auth-03-prefix-case-insensitive", requirement="AUTH-03", component="authenticator",
        description="the iris_ prefix is matched case-insensitively and normalised: IRIS_<key> is accepted")
class PrefixCaseInsensitiveAuthenticator(Authenticator):
    def credential(self, headers: Mapping[str, str]) -> str | None:
        found = super().credential(headers)
        if found is not None and found[:5].lower() == "iris_":
            found = "iris_" + found[5:]
        return found


@defect("auth-03-format-unchecked", requirement="AUTH-03", component="authenticator",
        description="the key format is never checked: a key without iris_ gets INVALID_API_KEY")
class FormatUncheckedAuthenticator(Authenticator):
    def well_formed(self, credential: str) -> bool:
        return True


@defect("auth-03-whitespace-after-prefix", requirement="AUTH-03", component="authenticator",
        description="'iris_' alone or followed by whitespace passes the format check (INVALID_API_KEY)")
class WhitespaceAfterPrefixAuthenticator(Authenticator):
    KEY_FORMAT = re.compile(r"iris_")


# ---------------------------------------------------------------------------------------- AUTH-04

class _LaxLookupAuthenticator(Authenticator):
    check_revoked = True
    check_expiry = True

    def lookup(self, credential: str) -> Principal | None:
        row = self.conn.execute("SELECT id, tenant_id, revoked, expires_at FROM api_keys WHERE key_hash = ?",
                                (key_hash(credential),)).fetchone()
        if row is None or (self.check_revoked and row["revoked"]):
            return None
        if self.check_expiry and row["expires_at"] is not None and row["expires_at"] < self.clock():
            return None
        return Principal(key_id=row["id"], tenant_id=row["tenant_id"])


@defect("auth-04-revoked-key-accepted", requirement="AUTH-04", component="authenticator",
        description="a revoked key is still served")
class RevokedKeyAcceptedAuthenticator(_LaxLookupAuthenticator):
    check_revoked = False


@defect("auth-04-expired-key-accepted", requirement="AUTH-04", component="authenticator",
        description="an expired key is still served")
class ExpiredKeyAcceptedAuthenticator(_LaxLookupAuthenticator):
    check_expiry = False


# ---------------------------------------------------------------------------------------- AUTH-05

class _ValidatingGatewayAuthenticator(Authenticator):
    """Plays a gateway that routes and validates a refused request before telling it so."""

    ROUTES = ((re.compile(r"/chargers/status$"), "charger_status"),
              (re.compile(r"/(tariffs|customers|stations|sessions)$"), "list"),
              (re.compile(r"/customers/([^/]+)$"), "customer_id"),
              (re.compile(r"/(?:tariffs|stations|sessions)/([^/]+)$"), "integer_id"))
    validates = True
    routes = True

    def authenticate(self, headers: Mapping[str, str], scope: Mapping[str, Any] | None = None) -> Principal | AuthFailure:
        outcome = super().authenticate(headers, scope)
        if isinstance(outcome, AuthFailure):
            return self.before_auth(scope or {}) or outcome
        return outcome

    def before_auth(self, scope: dict[str, Any]) -> AuthFailure | None:
        path = scope.get("path", "")
        params = parse_query_string(scope.get("query_string", b""))
        parser = dialect_of(scope).parser()  # the gateway's copy of the server's rules (its page-size bound)
        for pattern, check in self.ROUTES:
            match = pattern.search(path)
            if match is None:
                continue
            if not self.validates:
                return None
            try:
                if check == "list":
                    getattr(parser, f"{match.group(1)[:-1]}_list")(params)
                elif check == "charger_status":
                    parser.charger_status(params)
                else:
                    getattr(parser, check)(unquote(match.group(1)))
            except ValidationFailed as error:
                return AuthFailure(400, "VALIDATION_ERROR", error.message)
            return None
        return AuthFailure(404, "NOT_FOUND", "Path not found") if self.routes else None


@defect("auth-05-validation-before-auth", requirement="AUTH-05", component="authenticator",
        description="parameters and ids are validated before the key: a bad key with pagesize=0 gets 400")
class ValidationBeforeAuthAuthenticator(_ValidatingGatewayAuthenticator):
    routes = False


@defect("auth-05-routing-before-auth", requirement="AUTH-05", component="authenticator",
        description="an undefined path gets 404 NOT_FOUND before the key is checked")
class RoutingBeforeAuthAuthenticator(_ValidatingGatewayAuthenticator):
    validates = False


# ---------------------------------------------------------------------------------------- AUTH-06

@defect("auth-06-no-www-authenticate", requirement="AUTH-06", component="authenticator",
        description="401 responses carry no WWW-Authenticate challenge")
class NoChallengeAuthenticator(Authenticator):
    def challenge(self, error: str | None = None) -> dict[str, str]:
        return {}


# ---------------------------------------------------------------------------------------- AUTH-07

@defect("auth-07-key-echoed-in-error-message", requirement="AUTH-07", component="authenticator",
        description="the error message of a refused key repeats the key")
class KeyEchoedInMessageAuthenticator(Authenticator):
    def authenticate(self, headers: Mapping[str, str], scope: Mapping[str, Any] | None = None) -> Principal | AuthFailure:
        outcome = super().authenticate(headers, scope)
        if isinstance(outcome, AuthFailure) and outcome.code != "MISSING_API_KEY":
            outcome = replace(outcome, message=f"{outcome.message} (received {self.credential(headers)!r})")
        return outcome


@defect("auth-07-key-echoed-in-challenge", requirement="AUTH-07", component="authenticator",
        description="the WWW-Authenticate error_description of a refused key repeats the key's secret part")
class KeyEchoedInChallengeAuthenticator(Authenticator):
    def authenticate(self, headers: Mapping[str, str], scope: Mapping[str, Any] | None = None) -> Principal | AuthFailure:
        outcome = super().authenticate(headers, scope)
        if isinstance(outcome, AuthFailure) and outcome.code != "MISSING_API_KEY":
            secret = self.credential(headers).removeprefix("iris_").replace('"', "'")
            challenge = f'{outcome.headers.get("WWW-Authenticate", "Bearer")}, error_description="unknown key {secret}"'
            outcome = replace(outcome, headers={**outcome.headers, "WWW-Authenticate": challenge})
        return outcome


# ---------------------------------------------------------------------------------------- TEN-01

@defect("ten-01-cross-tenant-detail", requirement="TEN-01", component="repository",
        description="tariff, station and session details ignore the tenant: another tenant's id is served")
class CrossTenantDetailRepository(Repository):
    def one(self, table, tenant_id: int, item_id: int) -> dict | None:
        if not 1 <= item_id <= 2 ** 63 - 1:
            return None
        row = self.conn.execute(f"SELECT {table.columns} FROM {table.name} WHERE id = ?", (item_id,)).fetchone()
        return dict(row) if row is not None else None


@defect("ten-01-search-leaks-other-tenants", requirement="TEN-01", component="repository",
        collateral=("SRCH-01", "FLT-01"),
        description="the search condition lacks parentheses: 'tenant AND a OR b' finds other tenants' records")
class SearchLeakRepository(Repository):
    def search_condition(self, table, search: str | None) -> tuple[list[str], list[Any]]:
        conditions, args = super().search_condition(table, search)
        return [c[1:-1] for c in conditions], args


class _TenantBlindConnection:
    """A connection whose queries forget their tenant condition ``condition``."""

    def __init__(self, conn: Any, condition: str) -> None:
        self.conn = conn
        self.condition = condition

    def execute(self, sql: str, args: Any = ()) -> Any:
        return self.conn.execute(sql.replace(self.condition, "? IS NOT NULL"), args)


class _TenantBlindRepository(Repository):
    def blind(self, condition: str, method: str, *args: Any) -> Any:
        conn, self.conn = self.conn, _TenantBlindConnection(self.conn, condition)
        try:
            return getattr(super(), method)(*args)
        finally:
            self.conn = conn


@defect("ten-01-chargers-all-tenants", requirement="TEN-01", component="repository",
        description="/chargers/status returns the charge points of every tenant")
class ChargersAllTenantsRepository(_TenantBlindRepository):
    def chargers_near(self, tenant_id: int, query):
        return self.blind("s.tenant_id = ?", "chargers_near", tenant_id, query)


@defect("ten-01-session-list-all-tenants", requirement="TEN-01", component="repository",
        collateral=("REF-01", "DET-01"),
        description="the session list query is built without the tenant condition (details stay scoped)")
class SessionListAllTenantsRepository(_TenantBlindRepository):
    def sessions(self, tenant_id: int, query):
        return self.blind("tenant_id = ?", "sessions", tenant_id, query)


@defect("ten-01-filter-leak", requirement="TEN-01", component="repository",
        description="the session list filtered by user_id is looked up by user alone (a per-user index query "
                    "without the tenant condition): another tenant's user id returns that tenant's sessions")
class UserFilterLeakRepository(_TenantBlindRepository):
    def sessions(self, tenant_id: int, query):
        if query.user_id is None:
            return super().sessions(tenant_id, query)
        return self.blind("tenant_id = ?", "sessions", tenant_id, query)


# ---------------------------------------------------------------------------------------- TEN-02

def _override(principal: Principal, value: str | None) -> Principal:
    value = (value or "").strip()
    return replace(principal, tenant_id=int(value)) if value.isdigit() else principal


@defect("ten-02-tenant-header-honoured", requirement="TEN-02", component="authenticator",
        description="an x-tenant-id header replaces the key's tenant")
class TenantHeaderAuthenticator(Authenticator):
    def authenticate(self, headers: Mapping[str, str], scope: Mapping[str, Any] | None = None) -> Principal | AuthFailure:
        outcome = super().authenticate(headers, scope)
        return _override(outcome, headers.get(TENANT_HEADER)) if isinstance(outcome, Principal) else outcome


@defect("ten-02-tenant-id-param-honoured", requirement="TEN-02", component="authenticator",
        description="a tenant_id / tenantId query parameter replaces the key's tenant")
class TenantParamAuthenticator(Authenticator):
    def authenticate(self, headers: Mapping[str, str], scope: Mapping[str, Any] | None = None) -> Principal | AuthFailure:
        outcome = super().authenticate(headers, scope)
        if isinstance(outcome, Principal):
            params = parse_query_string((scope or {}).get("query_string", b""))
            for name in TENANT_PARAMS:
                outcome = _override(outcome, (params.get(name) or [None])[0])
        return outcome
