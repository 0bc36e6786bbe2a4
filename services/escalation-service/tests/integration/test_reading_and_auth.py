"""Reading an escalation (access-logged, with its ETag; If-Match; unknown ids) and who may
call what."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import httpx
import pytest

from qaf_shared.testing.calls import actor_required, read_and_logged
from qaf_shared.testing.fixtures import auth

from .calls import NEW, RESPONSE, Escalations


class TestReading:
    async def test_reading_an_escalation_is_access_logged_and_carries_its_etag(
        self, escalations: Escalations
    ) -> None:
        esc = await escalations.raised()
        path = f"/v1/escalations/{esc['id']}"
        response = await read_and_logged(
            escalations.client, path, esc, escalations.headers, escalations.db
        )
        assert response.headers["etag"] == '"1"'

    async def test_a_stale_if_match_is_412_and_the_current_one_is_accepted(
        self, escalations: Escalations
    ) -> None:
        esc = await escalations.raised()
        path = f"/v1/escalations/{esc['id']}/responses"
        stale = await escalations.client.post(
            path, json=RESPONSE, headers={**escalations.headers, "If-Match": '"7"'}
        )
        assert stale.status_code == 412
        current = await escalations.client.post(
            path, json=RESPONSE, headers={**escalations.headers, "If-Match": '"1"'}
        )
        assert current.status_code == 200 and current.headers["etag"] == '"2"'

    @pytest.mark.parametrize(
        "path", ["/v1/escalations/not-a-uuid", f"/v1/escalations/{uuid.uuid4()}"]
    )
    async def test_unknown_or_malformed_ids_are_404(
        self, escalations: Escalations, path: str
    ) -> None:
        for response in (
            await escalations.client.get(path, headers=escalations.headers),
            await escalations.client.post(
                f"{path}/responses", json=RESPONSE, headers=escalations.headers
            ),
        ):
            assert response.status_code == 404
            assert response.headers["content-type"] == "application/problem+json"


class TestAuth:
    async def test_no_token_is_401(self, escalation_client: httpx.AsyncClient) -> None:
        response = await escalation_client.post(
            "/v1/escalations", json=NEW, headers={"X-Actor": "s"}
        )
        assert response.status_code == 401
        assert response.headers["content-type"] == "application/problem+json"

    async def test_each_endpoint_needs_its_scope(
        self, escalation_client: httpx.AsyncClient, token: Callable[..., str]
    ) -> None:
        read_only = auth(token("escalations:read"))
        write_only = auth(token("escalations:write"))
        audits = auth(token("audits:read audits:write"))
        assert (
            await escalation_client.post("/v1/escalations", json=NEW, headers=read_only)
        ).status_code == 403
        assert (
            await escalation_client.get("/v1/escalations", headers=write_only)
        ).status_code == 403
        assert (await escalation_client.get("/v1/escalations", headers=audits)).status_code == 403

    async def test_a_write_without_an_actor_is_422(
        self, escalation_client: httpx.AsyncClient, token: Callable[..., str]
    ) -> None:
        headers = auth(token("escalations:write"), actor=None)
        await actor_required(escalation_client, "/v1/escalations", NEW, headers)

    async def test_malformed_json_is_400_and_a_huge_body_is_413(
        self, escalations: Escalations
    ) -> None:
        before = await escalations.counts()
        headers = {**escalations.headers, "content-type": "application/json"}
        bad = await escalations.client.post("/v1/escalations", content=b"{nope", headers=headers)
        assert bad.status_code == 400
        huge = await escalations.client.post(
            "/v1/escalations",
            content=b'{"summary": "' + b"x" * (1024 * 1024 + 10) + b'"}',
            headers=headers,
        )
        assert huge.status_code == 413
        assert await escalations.counts() == before
