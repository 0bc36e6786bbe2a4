"""Bearer-JWT authentication against a JWKS (file or URL), scopes, tenant and provider claims."""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import jwt
from fastapi import Depends, Header, Request
from fastapi.security import HTTPBearer
from fastapi.security.utils import get_authorization_scheme_param
from starlette.types import Scope

from qaf_shared.http.jwks import (
    ALGORITHMS,
    FileKeys,
    KeysUnavailable,
    RemoteKeys,
    SigningKeys,
    UnknownKey,
)
from qaf_shared.http.problems import Problem
from qaf_shared.settings import ServiceSettings


@dataclass(frozen=True)
class Principal:
    """Who is calling: the client (`sub`), its tenant, its scopes, and for an external
    provider which one."""

    client: str
    tenant: str
    scopes: frozenset[str]
    provider: str | None = None


@dataclass(frozen=True)
class _Verified:
    principal: Principal
    until: float  # the token's `exp` plus the leeway
    kid: str | None
    key: jwt.PyJWK


class Authenticator:
    """Verifies tokens offline against the JWKS (a file, or a URL fetched in the background:
    `qaf_shared.http.jwks`). Verified tokens are cached until their expiry, so a busy client
    does not pay for an RSA verification on every request; a cached token is reused only while
    the key that verified it is still trusted, so one signed by a key the JWKS has dropped
    stops passing when the key does."""

    def __init__(
        self,
        *,
        jwks: str,
        issuer: str,
        audience: str,
        leeway_s: float = 30.0,
        jwks_ttl_s: float = 300.0,
        jwks_cooldown_s: float = 10.0,
        jwks_wait_s: float = 0.5,
        cache_size: int = 4096,
    ) -> None:
        self._issuer = issuer
        self._audience = audience
        self._leeway_s = leeway_s
        self._cache: OrderedDict[str, _Verified] = OrderedDict()
        self._cache_size = cache_size
        self._keys: SigningKeys
        if jwks.startswith(("https://", "http://")):
            self._keys = RemoteKeys(
                jwks, ttl_s=jwks_ttl_s, cooldown_s=jwks_cooldown_s, wait_s=jwks_wait_s
            )
        else:
            self._keys = FileKeys(Path(jwks))

    @classmethod
    def from_settings(cls, settings: ServiceSettings) -> Authenticator:
        return cls(
            jwks=settings.auth_jwks,
            issuer=settings.auth_issuer,
            audience=settings.auth_audience,
            leeway_s=settings.auth_leeway_s,
            jwks_ttl_s=settings.auth_jwks_ttl_s,
            jwks_cooldown_s=settings.auth_jwks_cooldown_s,
            jwks_wait_s=settings.auth_jwks_wait_s,
        )

    async def start(self) -> None:
        """Start fetching a JWKS URL's keys in the background (nothing for a file)."""
        await self._keys.start()

    async def close(self) -> None:
        await self._keys.close()

    def known(self, token: str) -> Principal | None:
        """The caller a token verified before names, while that verification holds (the
        token unexpired, the key that verified it still trusted); None otherwise, for
        `verify` to decide."""
        cached = self._cache.get(token)
        if (
            cached is not None
            and cached.until > time.time()
            and self._keys.trusts(cached.kid, cached.key)
        ):
            return cached.principal
        return None

    async def verify(self, token: str) -> Principal:
        """The caller the token names; a Problem (401, or 503 while a JWKS URL's keys are
        unavailable) when it cannot be verified."""
        known = self.known(token)
        if known is not None:
            return known
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise _unauthorized("The token is not valid.") from None
        algorithm, kid = header.get("alg"), header.get("kid")
        if algorithm not in ALGORITHMS:
            raise _unauthorized("The token's algorithm is not accepted.")
        if kid is not None and not isinstance(kid, str):
            raise _unauthorized("The token is not valid.")
        try:
            key = await self._keys.key(kid)
        except UnknownKey:
            raise _unauthorized("The token's signing key is not known.") from None
        except KeysUnavailable as exc:
            raise Problem(
                503,
                "The identity provider's signing keys are unavailable; retry shortly.",
                headers={"Retry-After": str(max(1, math.ceil(exc.retry_after_s)))},
            ) from None
        # The key decides the algorithm, never the token: an ES256 header naming an RSA key
        # (or the reverse) is refused here rather than reaching the verifier with a key of the
        # wrong kind.
        if key.algorithm_name != algorithm:
            raise _unauthorized("The token's algorithm does not fit its signing key.")
        try:
            claims = jwt.decode(
                token,
                key.key,
                algorithms=[key.algorithm_name],
                audience=self._audience,
                issuer=self._issuer,
                leeway=self._leeway_s,
                options={"require": ["exp", "iss", "aud", "sub"]},
            )
        except (jwt.PyJWTError, ValueError) as exc:
            raise _unauthorized(_why(exc)) from None
        tenant = claims.get("tenant")
        if not isinstance(tenant, str) or not tenant:
            raise _unauthorized("The token carries no tenant.")
        # Present at all, it makes the token a provider's (refused outside /v1/provider):
        # a claim that is there but not a name is not quietly read as a staff token.
        provider = claims.get("provider")
        if "provider" in claims and not isinstance(provider, str):
            raise _unauthorized("The token's provider claim is not valid.")
        scope = claims.get("scope", "")
        principal = Principal(
            client=str(claims["sub"]),
            tenant=tenant,
            scopes=frozenset(scope.split() if isinstance(scope, str) else ()),
            provider=provider,
        )
        self._cache[token] = _Verified(principal, float(claims["exp"]) + self._leeway_s, kid, key)
        if len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)
        return principal


def _why(exc: Exception) -> str:
    if isinstance(exc, jwt.ExpiredSignatureError):
        return "The token has expired."
    if isinstance(exc, jwt.ImmatureSignatureError):
        return "The token is not yet valid."
    if isinstance(exc, jwt.InvalidSignatureError):
        return "The token's signature is not valid."
    if isinstance(exc, jwt.MissingRequiredClaimError):
        return f"The token lacks the {exc.claim!r} claim."
    return "The token is not valid."


def _unauthorized(detail: str) -> Problem:
    return Problem(401, detail, headers={"WWW-Authenticate": 'Bearer realm="qa"'})


# The one place a token with a `provider` claim may be used (docs/architecture.md: refused
# everywhere else, whatever scopes it carries).
PROVIDER_PREFIX = "/v1/provider"


class _Authenticated(HTTPBearer):
    """The bearer scheme (in OpenAPI exactly as `HTTPBearer`): a valid token of any scope,
    and a provider's token only on the provider's own routes. Async, since FastAPI runs a
    plain `def` dependency in its thread pool; verifying a cached token never blocks."""

    def __init__(self) -> None:
        super().__init__(
            auto_error=False,
            scheme_name="HTTPBearer",
            description="A JWT from the authority's identity provider",
        )

    async def __call__(self, request: Request) -> Principal:  # type: ignore[override]
        scheme, token = get_authorization_scheme_param(request.headers.get("Authorization"))
        if not token or scheme.lower() != "bearer":
            raise _unauthorized("A bearer token is required.")
        authenticator: Authenticator = request.app.state.authenticator
        principal = await authenticator.verify(token)
        if principal.provider is not None and not _is_provider_route(request.scope):
            raise Problem(403, "A provider's token may use only the /v1/provider endpoints.")
        return principal


def _is_provider_route(scope: Scope) -> bool:
    # The path the app routed on (without a proxy's root path): the request reached this
    # dependency only because its path matched a route's, and no route takes its first
    # segments from a path parameter, so this prefix is the provider router's alone. (Not
    # the matched route's template: FastAPI keeps an included router's prefix out of it.)
    path: str = scope["path"]
    root: str = scope.get("root_path", "")
    if root and path.startswith(root + "/"):
        path = path[len(root) :]
    return path == PROVIDER_PREFIX or path.startswith(PROVIDER_PREFIX + "/")


class _Requires(_Authenticated):
    """Authentication and the scope check in one dependency: one level of FastAPI dependency
    solving per request rather than two, and no credentials model in between (the write
    path's profile)."""

    def __init__(self, scope: str) -> None:
        super().__init__()
        self.scope = scope

    async def __call__(self, request: Request) -> Principal:  # type: ignore[override]
        principal = await super().__call__(request)
        if self.scope not in principal.scopes and not _implied(self.scope, principal.scopes):
            raise Problem(403, f"The token lacks the scope {self.scope!r}.")
        return principal


def known_caller(scope: Scope, authenticator: Authenticator, required: str) -> Principal | None:
    """The caller `requires(required)` would let through, found without raising or waiting:
    a bearer token (the request's first Authorization header) that the authenticator has
    verified before and that still holds, not a provider's outside `/v1/provider`, with the
    scope. None in every other case, for the route's own dependency to answer (a 401, a 403,
    a 503 or a new verification). For a fast path that answers before FastAPI's routing
    (reporting-service's cached reports) exactly what the route would."""
    header = None
    for name, value in scope["headers"]:
        if name == b"authorization":
            header = value.decode("latin-1")
            break
    scheme, token = get_authorization_scheme_param(header)
    if not token or scheme.lower() != "bearer":
        return None
    principal = authenticator.known(token)
    if principal is None or (principal.provider is not None and not _is_provider_route(scope)):
        return None
    if required not in principal.scopes and not _implied(required, principal.scopes):
        return None
    return principal


def requires(scope: str) -> Any:
    """A dependency that authenticates the caller and insists on one scope (default deny).
    A provider's token is refused outside `/v1/provider`, whatever scopes it carries."""
    return Depends(_Requires(scope))


authenticated: Any = Depends(_Authenticated())
"""A dependency that authenticates the caller whatever its scopes (a token is still needed):
for what any valid token of the tenant may read (`GET /v1/org-units`). A provider's token is
refused outside `/v1/provider` here as in `requires`."""


# A scope that implies another (docs/architecture.md: unsuppressed implies read).
_IMPLIES = {"reports:read": {"reports:read_unsuppressed"}}


def _implied(scope: str, held: frozenset[str]) -> bool:
    return bool(_IMPLIES.get(scope, set()) & held)


ACTOR_PATTERN = r"^[A-Za-z0-9._@\-]{1,64}$"

Actor = Annotated[
    str,
    Header(
        alias="X-Actor",
        pattern=ACTOR_PATTERN,
        description="Staff id of the person the calling system acts for; recorded on every write.",
    ),
]

OptionalActor = Annotated[
    str | None,
    Header(
        alias="X-Actor",
        pattern=ACTOR_PATTERN,
        description="Staff id of the reader, for the access log.",
    ),
]
