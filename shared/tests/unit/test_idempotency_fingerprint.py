"""A request's fingerprint takes its path as `request.url.path` gives it (what it always took, so
that a key stored before still matches its retry); `url_path` reads it without building the
URL. The two agree for any path, with or without a Host header or a server, and a retry's
fingerprint is unchanged."""

from __future__ import annotations

from typing import Any

from hypothesis import example, given
from hypothesis import strategies as st
from starlette.requests import Request

from qaf_shared.http.idempotency import fingerprint, url_path

HOSTS: list[list[tuple[bytes, bytes]]] = [
    [(b"host", b"escalations.example:8443")],
    [(b"host", b"not a host/")],
    [],
]
SERVERS: list[Any] = [("127.0.0.1", 8003), ("::1", 80), None]


def _scope(path: str, headers: list[tuple[bytes, bytes]], server: Any) -> dict[str, Any]:
    return {
        "type": "http",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "root_path": "",
        "query_string": b"a=1",
        "headers": headers,
        "server": server,
    }


@given(
    path=st.text().map(lambda text: "/" + text),
    headers=st.sampled_from(HOSTS),
    server=st.sampled_from(SERVERS),
)
@example(path="/v1/escalations", headers=HOSTS[0], server=SERVERS[0])
@example(path="/v1/a?b#c\\d\te\rf\ng", headers=HOSTS[0], server=SERVERS[0])
@example(path="//v1/escalations", headers=HOSTS[2], server=None)
@example(path="/v1/%3F/ sp\x00ace\x1f", headers=HOSTS[1], server=SERVERS[1])
def test_the_path_is_the_one_the_request_url_gives(
    path: str, headers: list[tuple[bytes, bytes]], server: Any
) -> None:
    scope = _scope(path, headers, server)
    assert url_path(scope) == Request(scope).url.path


def test_a_retry_has_the_fingerprint_it_had() -> None:
    scope = _scope("/v1/escalations/4f1c/resolve", HOSTS[0], SERVERS[0])
    body = b'{"outcome": "PLAN_CHANGED"}'
    before = fingerprint("POST", Request(scope).url.path, body)
    assert fingerprint("POST", url_path(scope), body) == before
