"""Which keys of a JWKS document are used for verifying, and which key object a refresh keeps."""

import json
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from qaf_shared.http.jwks import signing_keys

RSA_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
EC_KEY = ec.generate_private_key(ec.SECP256R1())


def rsa_jwk(kid: str, **extra: Any) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(RSA_KEY.public_key()))
    return {**data, "kid": kid, **extra}


def ec_jwk(kid: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(EC_KEY.public_key()))
    return {**data, "kid": kid}


def test_rsa_and_p256_signing_keys_are_used_with_their_own_algorithm() -> None:
    keys = signing_keys({"keys": [rsa_jwk("r"), ec_jwk("e")]}, {})
    assert {kid: key.jwk.algorithm_name for kid, key in keys.items()} == {
        "r": "RS256",
        "e": "ES256",
    }


def test_symmetric_encryption_and_unparsable_keys_are_left_out() -> None:
    document = {
        "keys": [
            {"kty": "oct", "kid": "shared-secret", "k": "c2VjcmV0"},  # HS256: never
            rsa_jwk("enc", use="enc"),
            rsa_jwk("ps", alg="PS256"),
            {"kty": "RSA", "kid": "broken", "n": "!!", "e": "AQAB"},
            {"kty": "EC", "kid": "no-curve"},
            "not a key",
            rsa_jwk("good"),
        ]
    }
    assert list(signing_keys(document, {})) == ["good"]


@pytest.mark.parametrize("document", [[], {}, {"keys": "x"}, "keys", None])
def test_a_document_that_is_not_a_jwks_is_refused(document: Any) -> None:
    with pytest.raises(ValueError):
        signing_keys(document, {})


def test_a_refresh_keeps_an_unchanged_key_as_the_same_object_and_replaces_a_changed_one() -> None:
    # The verified-token cache trusts a token while its key object is still the set's.
    first = signing_keys({"keys": [rsa_jwk("r"), ec_jwk("e")]}, {})
    other = json.loads(
        jwt.algorithms.ECAlgorithm.to_jwk(ec.generate_private_key(ec.SECP256R1()).public_key())
    )
    second = signing_keys({"keys": [rsa_jwk("r"), {**other, "kid": "e"}]}, first)
    assert second["r"].jwk is first["r"].jwk
    assert second["e"].jwk is not first["e"].jwk
