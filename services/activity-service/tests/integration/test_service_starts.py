import httpx


async def test_the_service_answers_its_probes_on_its_own_migrated_database(
    activity_client: httpx.AsyncClient,
) -> None:
    for probe in ("/healthz", "/readyz"):
        response = await activity_client.get(probe)
        assert response.status_code == 200, (probe, response.text)
