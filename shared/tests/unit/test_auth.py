import asyncio
import base64
import hmac
import json
import time
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from fastapi import Request

from qaf_shared import devtoken
from qaf_shared.http.auth import Authenticator, _Requires, known_caller
from qaf_shared.http.problems import Problem


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> Path:
    key_dir = tmp_path_factory.mktemp("keys")
    devtoken.ensure_keys(key_dir)
    return key_dir


@pytest.fixture(scope="module")
def authenticator(keys: Path) -> Authenticator:
    return Authenticator(
        jwks=str(keys / "jwks.json"), issuer=devtoken.ISSUER, audience=devtoken.AUDIENCE
    )


async def _status(authenticator: Authenticator, token: str) -> int:
    with pytest.raises(Problem) as caught:
        await authenticator.verify(token)
    return caught.value.status


async def test_a_valid_token_gives_client_tenant_scopes_and_provider(
    authenticator: Authenticator, keys: Path
) -> None:
    token = devtoken.mint(
        scopes="audits:read audits:write", tenant="887", provider="advocacy-co", key_dir=keys
    )
    principal = await authenticator.verify(token)
    assert principal.tenant == "887"
    assert principal.scopes == {"audits:read", "audits:write"}
    assert principal.provider == "advocacy-co"
    assert principal.client == "dev-client"


async def test_an_expired_token_is_401(authenticator: Authenticator, keys: Path) -> None:
    token = devtoken.mint(scopes="audits:read", tenant="886", ttl=-60, key_dir=keys)
    assert await _status(authenticator, token) == 401


LEEWAY_S = 30  # the setting's default, which the fixture's Authenticator keeps
INSIDE, OUTSIDE = LEEWAY_S - 10, LEEWAY_S + 10


@pytest.mark.parametrize(
    ("claim", "offset", "accepted"),
    [
        ("exp", -INSIDE, True),
        ("exp", -OUTSIDE, False),
        ("nbf", INSIDE, True),
        ("nbf", OUTSIDE, False),
        ("iat", INSIDE, True),
        ("iat", OUTSIDE, False),
    ],
    ids=["exp-20s-ago", "exp-40s-ago", "nbf-in-20s", "nbf-in-40s", "iat-in-20s", "iat-in-40s"],
)
async def test_the_leeway_applies_to_exp_nbf_and_iat(
    authenticator: Authenticator, keys: Path, claim: str, offset: int, accepted: bool
) -> None:
    # A clock up to LEEWAY_S out either way is tolerated, not more.
    extra: dict[str, Any] = {claim: int(time.time()) + offset}
    token = devtoken.mint(scopes="a", tenant="886", key_dir=keys, **extra)
    if accepted:
        assert (await authenticator.verify(token)).tenant == "886"
    else:
        assert await _status(authenticator, token) == 401


async def test_an_es256_header_naming_the_rsa_key_is_401_not_500(
    authenticator: Authenticator, keys: Path
) -> None:
    # Signed with an EC key, the header names the JWKS's RSA key: the verifier must not be
    # handed an RSA key for ES256 (it raised TypeError, a 500).
    claims = {
        "iss": devtoken.ISSUER,
        "aud": devtoken.AUDIENCE,
        "sub": "x",
        "tenant": "886",
        "exp": int(time.time()) + 60,
    }
    other = ec.generate_private_key(ec.SECP256R1())
    token = jwt.encode(claims, other, algorithm="ES256", headers={"kid": devtoken.KID})
    assert await _status(authenticator, token) == 401


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _hand_made(algorithm: str, claims: dict[str, Any], secret: bytes | None) -> str:
    """A token PyJWT would refuse to make: HS256 keyed with the public key, or `none`."""
    signing_input = (
        _b64(json.dumps({"alg": algorithm, "kid": devtoken.KID}).encode())
        + "."
        + _b64(json.dumps(claims).encode())
    )
    signature = b"" if secret is None else hmac.digest(secret, signing_input.encode(), "sha256")
    return f"{signing_input}.{_b64(signature)}"


@pytest.mark.parametrize("algorithm", ["HS256", "none", "PS256"])
async def test_an_algorithm_outside_rs256_and_es256_is_401(
    authenticator: Authenticator, keys: Path, algorithm: str
) -> None:
    claims: dict[str, Any] = {
        "iss": devtoken.ISSUER,
        "aud": devtoken.AUDIENCE,
        "sub": "x",
        "tenant": "886",
        "exp": int(time.time()) + 60,
    }
    if algorithm == "PS256":
        pem = (keys / "private.pem").read_bytes()
        token = jwt.encode(claims, pem, algorithm="PS256", headers={"kid": devtoken.KID})
    else:
        # The old confusion: the RSA key's public JWKS as an HMAC secret.
        secret = (keys / "jwks.json").read_bytes() if algorithm == "HS256" else None
        token = _hand_made(algorithm, claims, secret)
    assert await _status(authenticator, token) == 401


async def test_a_provider_claim_that_is_not_a_name_is_401(
    authenticator: Authenticator, keys: Path
) -> None:
    pem = (keys / "private.pem").read_bytes()
    for value in (None, 7, ["p1"]):
        claims = {
            "iss": devtoken.ISSUER,
            "aud": devtoken.AUDIENCE,
            "sub": "x",
            "tenant": "886",
            "scope": "feedback:read",
            "exp": int(time.time()) + 60,
            "provider": value,
        }
        token = jwt.encode(claims, pem, algorithm="RS256", headers={"kid": devtoken.KID})
        assert await _status(authenticator, token) == 401


async def test_a_token_signed_by_another_key_is_401(
    authenticator: Authenticator, keys: Path
) -> None:
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = other.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    claims = {
        "iss": devtoken.ISSUER,
        "aud": devtoken.AUDIENCE,
        "sub": "x",
        "tenant": "886",
        "scope": "audits:read",
        "exp": int(time.time()) + 60,
    }
    token = jwt.encode(claims, pem, algorithm="RS256", headers={"kid": devtoken.KID})
    assert await _status(authenticator, token) == 401


async def test_a_token_without_expiry_is_401(authenticator: Authenticator, keys: Path) -> None:
    pem = (keys / "private.pem").read_bytes()
    claims = {
        "iss": devtoken.ISSUER,
        "aud": devtoken.AUDIENCE,
        "sub": "x",
        "tenant": "886",
        "scope": "a",
    }
    token = jwt.encode(claims, pem, algorithm="RS256", headers={"kid": devtoken.KID})
    assert await _status(authenticator, token) == 401


async def test_a_token_for_another_audience_or_without_tenant_is_401(
    authenticator: Authenticator, keys: Path
) -> None:
    assert (
        await _status(
            authenticator, devtoken.mint(scopes="a", tenant="886", key_dir=keys, aud="other")
        )
        == 401
    )
    assert await _status(authenticator, devtoken.mint(scopes="a", tenant="", key_dir=keys)) == 401


async def test_garbage_is_401(authenticator: Authenticator) -> None:
    assert await _status(authenticator, "not-a-jwt") == 401


def _scope(path: str, *headers: tuple[bytes, bytes]) -> dict[str, Any]:
    return {"type": "http", "path": path, "root_path": "", "headers": list(headers)}


async def _required(authenticator: Authenticator, scope: dict[str, Any], needed: str) -> Any:
    """What `requires(needed)`'s dependency answers for the request: its caller, or its
    refusal's status."""
    request = Request({**scope, "app": _App(authenticator)})
    try:
        return await _Requires(needed)(request)
    except Problem as problem:
        return problem.status


class _App:
    def __init__(self, authenticator: Authenticator) -> None:
        self.state = type("State", (), {"authenticator": authenticator})()


@pytest.mark.parametrize(
    ("path", "scopes", "provider", "needed"),
    [
        ("/v1/trends", "reports:read", None, "reports:read"),
        ("/v1/trends", "reports:read_unsuppressed", None, "reports:read"),  # implied
        ("/v1/trends", "audits:read", None, "reports:read"),
        ("/v1/trends", "reports:read", "advocacy-co", "reports:read"),
        ("/v1/provider/feedback", "reports:read", "advocacy-co", "reports:read"),
    ],
)
async def test_a_known_caller_is_the_one_requires_lets_through_once_its_token_is_verified(
    authenticator: Authenticator,
    keys: Path,
    path: str,
    scopes: str,
    provider: str | None,
    needed: str,
) -> None:
    token = devtoken.mint(scopes=scopes, tenant="886", provider=provider, key_dir=keys)
    scope = _scope(path, (b"x-other", b"1"), (b"authorization", f"Bearer {token}".encode()))
    # Never verified: not known, whatever the route would say.
    assert known_caller(scope, authenticator, needed) is None
    answer = await _required(authenticator, scope, needed)
    known = known_caller(scope, authenticator, needed)
    assert known == (answer if not isinstance(answer, int) else None)


@pytest.mark.parametrize(
    "header",
    [None, b"Basic abc", b"Bearer", b"bearer not-a-token", b"Token x"],
)
async def test_no_caller_is_known_without_a_verified_bearer_token(
    authenticator: Authenticator, header: bytes | None
) -> None:
    headers = [] if header is None else [(b"authorization", header)]
    scope = _scope("/v1/trends", *headers)
    assert known_caller(scope, authenticator, "reports:read") is None
    assert await _required(authenticator, scope, "reports:read") == 401


async def test_a_known_token_stops_being_known_when_it_expires(keys: Path) -> None:
    strict = Authenticator(
        jwks=str(keys / "jwks.json"),
        issuer=devtoken.ISSUER,
        audience=devtoken.AUDIENCE,
        leeway_s=0,
    )
    token = devtoken.mint(scopes="reports:read", tenant="886", ttl=1, key_dir=keys)
    scope = _scope("/v1/trends", (b"authorization", f"Bearer {token}".encode()))
    await strict.verify(token)
    assert known_caller(scope, strict, "reports:read") is not None
    await asyncio.sleep(1.5)
    assert known_caller(scope, strict, "reports:read") is None
