"""Tokens verified against a JWKS URL, through a service app's HTTP: the JWKS is served over
real HTTP by the test (a thread, so nothing the app does to its event loop can help it), which
changes the keys and counts the fetches. Rotation, removal within the TTL (cached tokens
included), an unknown-kid storm against the cool-down, an unreachable URL answering quickly
while /healthz stays quick, and an algorithm that does not fit its key."""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import threading
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Annotated, Any

import httpx
import jwt
import pytest
import pytest_asyncio
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from fastapi import APIRouter, FastAPI

from qaf_shared import devtoken
from qaf_shared.http.app import create_service_app
from qaf_shared.http.auth import Principal, requires
from qaf_shared.settings import ServiceSettings
from qaf_shared.testing.fixtures import DatabaseFactory, serve

RSA_A = rsa.generate_private_key(public_exponent=65537, key_size=2048)
RSA_B = rsa.generate_private_key(public_exponent=65537, key_size=2048)
EC_C = ec.generate_private_key(ec.SECP256R1())


def public_jwk(key: Any, kid: str) -> dict[str, Any]:
    if isinstance(key, rsa.RSAPrivateKey):
        data = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
        alg = "RS256"
    else:
        data = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(key.public_key()))
        alg = "ES256"
    data.update({"kid": kid, "use": "sig", "alg": alg})
    result: dict[str, Any] = data
    return result


def token_from(key: Any, kid: str, *, algorithm: str | None = None) -> str:
    algorithm = algorithm or ("RS256" if isinstance(key, rsa.RSAPrivateKey) else "ES256")
    now = int(time.time())
    claims = {
        "iss": devtoken.ISSUER,
        "aud": devtoken.AUDIENCE,
        "sub": "client-1",
        "tenant": "886",
        "scope": "audits:read",
        "iat": now,
        "exp": now + 3600,
        "jti": uuid.uuid4().hex,
    }
    return jwt.encode(claims, key, algorithm=algorithm, headers={"kid": kid})


class JwksServer:
    """A JWKS over HTTP on a free port: `keys` is what it serves, `hits` how often it was
    fetched."""

    def __init__(self) -> None:
        self.keys: list[dict[str, Any]] = []
        self.hits = 0
        self._lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                with outer._lock:
                    outer.hits += 1
                    body = json.dumps({"keys": outer.keys}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                return None

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/jwks.json"

    def __enter__(self) -> JwksServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture
def jwks() -> Iterator[JwksServer]:
    with JwksServer() as server:
        yield server


@contextlib.contextmanager
def black_hole() -> Iterator[str]:
    """A URL whose port takes connections (the kernel's backlog) and never answers."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}/jwks.json"
    finally:
        sock.close()


@contextlib.contextmanager
def refused() -> Iterator[str]:
    """A URL on a port nothing listens on."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    yield f"http://127.0.0.1:{port}/jwks.json"


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def dsn(make_database: DatabaseFactory) -> str:
    return await make_database("audit_service")


def whoami_router() -> APIRouter:
    router = APIRouter()

    @router.get("/v1/whoami")
    async def whoami(principal: Annotated[Principal, requires("audits:read")]) -> dict[str, str]:
        return {"client": principal.client}

    return router


@contextlib.asynccontextmanager
async def service(
    dsn: str, url: str, *, ttl_s: float = 300.0, cooldown_s: float = 10.0
) -> AsyncIterator[httpx.AsyncClient]:
    """The shared app factory's app (lifespan, /healthz, problem+json) with one authenticated
    route, its keys at `url`."""
    settings = ServiceSettings(
        database_url=dsn,
        relay_enabled=False,
        auth_jwks=url,
        auth_jwks_ttl_s=ttl_s,
        auth_jwks_cooldown_s=cooldown_s,
    )
    app: FastAPI = create_service_app(
        settings=settings,
        title="jwks test",
        description="",
        routers=[whoami_router()],
    )
    async with serve(app) as client:
        yield client


async def call(client: httpx.AsyncClient, token: str) -> httpx.Response:
    return await client.get("/v1/whoami", headers={"Authorization": f"Bearer {token}"})


def assert_problem(response: httpx.Response, status: int) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"


async def test_a_key_that_appears_in_the_jwks_verifies(dsn: str, jwks: JwksServer) -> None:
    jwks.keys = [public_jwk(RSA_A, "a")]
    cooldown = 0.3
    async with service(dsn, jwks.url, ttl_s=60, cooldown_s=cooldown) as client:
        assert (await call(client, token_from(RSA_A, "a"))).status_code == 200
        new = token_from(RSA_B, "b")
        assert_problem(await call(client, new), 401)  # not published yet
        jwks.keys = [public_jwk(RSA_A, "a"), public_jwk(RSA_B, "b")]
        await asyncio.sleep(cooldown)
        # Long before the TTL's refresh: the unknown kid fetched the JWKS again.
        response = await call(client, new)
        assert response.status_code == 200, response.text
        assert (await call(client, token_from(RSA_A, "a"))).status_code == 200


async def test_a_key_removed_from_the_jwks_stops_verifying_within_the_ttl(
    dsn: str, jwks: JwksServer
) -> None:
    jwks.keys = [public_jwk(RSA_A, "a"), public_jwk(RSA_B, "b")]
    ttl = 1.0
    kept, removed = token_from(RSA_A, "a"), token_from(RSA_B, "b")
    async with service(dsn, jwks.url, ttl_s=ttl) as client:
        # Verified, and so cached, before the key goes.
        assert (await call(client, removed)).status_code == 200
        assert (await call(client, removed)).status_code == 200
        jwks.keys = [public_jwk(RSA_A, "a")]
        gone_at = time.monotonic()
        while (response := await call(client, removed)).status_code == 200:
            assert time.monotonic() - gone_at < ttl, "the removed key still verifies after the TTL"
            await asyncio.sleep(0.02)
        assert_problem(response, 401)
        assert time.monotonic() - gone_at <= ttl + 0.1
        # The set was refreshed, not merely expired: the key that stayed still verifies.
        assert (await call(client, kept)).status_code == 200


async def test_a_storm_of_unknown_kids_fetches_at_most_once_per_cooldown(
    dsn: str, jwks: JwksServer
) -> None:
    jwks.keys = [public_jwk(RSA_A, "a")]
    cooldown, storm_s = 0.5, 2.0
    async with service(dsn, jwks.url, ttl_s=600, cooldown_s=cooldown) as client:
        assert (await call(client, token_from(RSA_A, "a"))).status_code == 200
        before, requests = jwks.hits, 0
        started = time.monotonic()
        while time.monotonic() - started < storm_s:
            batch = [token_from(RSA_A, f"made-up-{uuid.uuid4().hex}") for _ in range(20)]
            for response in await asyncio.gather(*(call(client, t) for t in batch)):
                assert_problem(response, 401)
            requests += len(batch)
            await asyncio.sleep(0.01)
        fetches = jwks.hits - before
        assert requests >= 100
        # One at the storm's start and at most one per cool-down after it.
        assert 1 <= fetches <= storm_s / cooldown + 1, (fetches, requests)
        # The known key was never in doubt.
        assert (await call(client, token_from(RSA_A, "a"))).status_code == 200


@pytest.mark.parametrize("unreachable", [black_hole, refused], ids=["black-hole", "refused"])
async def test_an_unreachable_jwks_answers_within_a_second_and_healthz_stays_quick(
    dsn: str, unreachable: Any
) -> None:
    with unreachable() as url:
        async with service(dsn, url) as client:

            async def timed(path: str, headers: dict[str, str]) -> tuple[float, httpx.Response]:
                started = time.monotonic()
                response = await client.get(path, headers=headers)
                return time.monotonic() - started, response

            bearer = {"Authorization": f"Bearer {token_from(RSA_A, 'a')}"}
            for _ in range(2):  # the first fetch under way, then the next requests
                authenticated = [
                    asyncio.create_task(timed("/v1/whoami", bearer)) for _ in range(10)
                ]
                health = []
                while not all(task.done() for task in authenticated):
                    health.append(await timed("/healthz", {}))
                    await asyncio.sleep(0.02)
                for elapsed, response in [task.result() for task in authenticated]:
                    assert response.status_code in (401, 503), response.text
                    assert response.headers["content-type"] == "application/problem+json"
                    assert elapsed < 1.0
                assert health, "/healthz was never called while the requests waited"
                for elapsed, response in health:
                    assert response.status_code == 200
                    assert elapsed < 0.2, f"/healthz took {elapsed:.3f}s while keys were fetched"


async def test_a_token_whose_algorithm_does_not_fit_its_key_is_401(
    dsn: str, jwks: JwksServer
) -> None:
    jwks.keys = [public_jwk(RSA_A, "rsa"), public_jwk(EC_C, "ec")]
    async with service(dsn, jwks.url) as client:
        assert (await call(client, token_from(RSA_A, "rsa"))).status_code == 200
        assert (await call(client, token_from(EC_C, "ec"))).status_code == 200
        # ES256 naming the RSA key (was a 500), RS256 naming the EC key.
        assert_problem(await call(client, token_from(EC_C, "rsa")), 401)
        assert_problem(await call(client, token_from(RSA_A, "ec")), 401)
