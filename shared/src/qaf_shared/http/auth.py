"""Bearer-JWT authentication against a JWKS (file or URL), scopes, tenant and provider claims."""

from __future__ import annotations

import time
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import jwt
from fastapi import Depends, Header, Request
from fastapi.security import HTTPBearer
from fastapi.security.utils import get_authorization_scheme_param

from qaf_shared.http.problems import Problem

ALGORITHMS = ["RS256", "ES256"]


@dataclass(frozen=True)
class Principal:
    """Who is calling: the client (`sub`), its tenant, its scopes, and for an external
    provider which one."""

    client: str
    tenant: str
    scopes: frozenset[str]
    provider: str | None = None


class Authenticator:
    """Verifies tokens offline. Verified tokens are cached until their expiry, so a busy
    client does not pay for an RSA verification on every request."""

    def __init__(self, *, jwks: str, issuer: str, audience: str, cache_size: int = 4096) -> None:
        self._issuer = issuer
        self._audience = audience
        self._cache: OrderedDict[str, tuple[Principal, float]] = OrderedDict()
        self._cache_size = cache_size
        if jwks.startswith(("https://", "http://")):
            self._client: jwt.PyJWKClient | None = jwt.PyJWKClient(jwks, cache_keys=True)
            self._keys: dict[str, Any] = {}
        else:
            self._client = None
            path = Path(jwks)
            if not path.is_file():
                raise RuntimeError(
                    f"QA_AUTH_JWKS names no file: {path} (locally, `make token` creates it)"
                )
            self._keys = {str(k.key_id): k for k in jwt.PyJWKSet.from_json(path.read_text()).keys}

    def _key_for(self, token: str) -> Any:
        if self._client is not None:
            return self._client.get_signing_key_from_jwt(token).key
        kid = jwt.get_unverified_header(token).get("kid")
        if kid in self._keys:
            return self._keys[kid].key
        if kid is None and len(self._keys) == 1:
            return next(iter(self._keys.values())).key
        raise jwt.InvalidTokenError("unknown signing key")

    def verify(self, token: str) -> Principal:
        now = time.time()
        cached = self._cache.get(token)
        if cached is not None and cached[1] > now:
            return cached[0]
        try:
            claims = jwt.decode(
                token,
                self._key_for(token),
                algorithms=ALGORITHMS,
                audience=self._audience,
                issuer=self._issuer,
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
        self._cache[token] = (principal, float(claims["exp"]))
        if len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)
        return principal


def _why(exc: Exception) -> str:
    if isinstance(exc, jwt.ExpiredSignatureError):
        return "The token has expired."
    if isinstance(exc, jwt.InvalidSignatureError):
        return "The token's signature is not valid."
    if isinstance(exc, jwt.MissingRequiredClaimError):
        return f"The token lacks the {exc.claim!r} claim."
    return "The token is not valid."


def _unauthorized(detail: str) -> Problem:
    return Problem(401, detail, headers={"WWW-Authenticate": 'Bearer realm="qa"'})


# The one place a token with a `provider` claim may be used (ARCHITECTURE.md: refused
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
        principal: Principal = request.app.state.authenticator.verify(token)
        if principal.provider is not None and not _is_provider_route(request):
            raise Problem(403, "A provider's token may use only the /v1/provider endpoints.")
        return principal


def _is_provider_route(request: Request) -> bool:
    # The path the app routed on (without a proxy's root path): the request reached this
    # dependency only because its path matched a route's, and no route takes its first
    # segments from a path parameter, so this prefix is the provider router's alone. (Not
    # the matched route's template: FastAPI keeps an included router's prefix out of it.)
    path: str = request.scope["path"]
    root: str = request.scope.get("root_path", "")
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


def requires(scope: str) -> Any:
    """A dependency that authenticates the caller and insists on one scope (default deny).
    A provider's token is refused outside `/v1/provider`, whatever scopes it carries."""
    return Depends(_Requires(scope))


authenticated: Any = Depends(_Authenticated())
"""A dependency that authenticates the caller whatever its scopes (a token is still needed):
for what any valid token of the tenant may read (`GET /v1/org-units`). A provider's token is
refused outside `/v1/provider` here as in `requires`."""


# A scope that grants everything another one does (API.md: unsuppressed implies read).
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
