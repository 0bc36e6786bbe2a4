"""What goes wrong with a return, through HTTP on the real database: a file that cannot be
read is REJECTED whole and nothing changes (malformed XML with its line and column, billion
laughs, XXE, CSV headings that are not the DfE's); records that break a rule are rejected on
their own and paged through /errors with their location, field and rule and never a value;
the upload's 413, 415 and 422 store nothing; another tenant's load is 404."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from typing import Any

import asyncpg
import httpx

from activity_service.domain.loads import OTHER_LIMIT
from qaf_shared.testing.activity_returns import (
    BILLION_LAUGHS,
    Faults,
    child_refs,
    cin_census_records,
    generate,
    write_cin_census,
    xxe_census,
)
from qaf_shared.testing.fixtures import auth

from .loads import (
    CSV,
    XML,
    all_errors,
    cin_census,
    finished,
    held_records,
    intended_records,
    load_return,
    new_tenant,
    outbox,
    ssda903,
    upload,
)


def writer_of(token: Callable[..., str], tenant: str) -> dict[str, str]:
    # the tenant named again for the tests' own look into the database (the service ignores it)
    return auth(token("activity:write activity:read", tenant=tenant), **{"X-Test-Tenant": tenant})


async def nothing_changed(conn: asyncpg.Connection, tenant: str) -> bool:
    return not await held_records(conn, tenant) and not await outbox(conn, tenant)


async def rejected_whole(
    client: httpx.AsyncClient, conn: asyncpg.Connection, token: Callable[..., str], kind: str,
    parts: dict[str, tuple[str, bytes, str]],
) -> tuple[dict[str, Any], list[dict[str, Any]], str]:  # fmt: skip
    """Load a return that cannot be read: the load, its errors, and all it answered."""
    tenant = new_tenant()
    headers = writer_of(token, tenant)
    load = await load_return(client, headers, kind, "FY2025", parts)
    errors, _ = await all_errors(client, headers, load["id"])
    assert load["status"] == "REJECTED", load
    assert load["counts"] == dict.fromkeys(load["counts"], 0)
    assert await nothing_changed(conn, tenant)
    listed = (await client.get("/v1/returns", headers=headers)).text
    return load, errors, str(load) + str(errors) + listed


async def test_malformed_xml_is_rejected_with_its_line_and_column_and_nothing_changes(
    activity_client: httpx.AsyncClient, activity_db: asyncpg.Connection, token: Callable[..., str]
) -> None:
    children = list(generate(seed=5, refs=child_refs(5, prefix="BAD")))
    out = io.BytesIO()
    write_cin_census(children, out, faults=Faults(malformed=True))
    document = out.getvalue()
    line = document.count(b"\n", 0, document.rindex(b"</ChildIdentifiers>")) + 1

    _, errors, answered = await rejected_whole(
        activity_client, activity_db, token, "CIN_CENSUS", {"file": ("c.xml", document, XML)}
    )

    [error] = errors
    assert error["rule"] == "not_well_formed"
    assert error["location"].startswith(f"line {line}, column ")
    assert error["severity"] == "error"
    # the first child was read before the file broke off: none of it was applied
    assert children[0].child_ref not in answered and children[1].child_ref not in answered


async def test_a_billion_laughs_file_is_rejected_without_its_content_in_any_answer(
    activity_client: httpx.AsyncClient, activity_db: asyncpg.Connection, token: Callable[..., str]
) -> None:
    _, errors, answered = await rejected_whole(
        activity_client, activity_db, token, "CIN_CENSUS", {"file": ("c.xml", BILLION_LAUGHS, XML)}
    )

    assert [e["rule"] for e in errors] == ["dtd_forbidden"]
    assert "LAUGHING" not in answered and "lol" not in answered


async def test_an_xxe_file_is_rejected_and_the_file_it_names_is_never_read(
    activity_client: httpx.AsyncClient,
    activity_db: asyncpg.Connection,
    token: Callable[..., str],
    tmp_path: Any,
) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-CONTENT")
    xxe = xxe_census(str(secret))

    _, errors, answered = await rejected_whole(
        activity_client, activity_db, token, "CIN_CENSUS", {"file": ("c.xml", xxe, XML)}
    )

    assert [e["rule"] for e in errors] == ["dtd_forbidden"]
    assert "TOP-SECRET" not in answered and str(secret) not in answered


async def test_csv_tables_without_the_dfe_headings_are_rejected_whole(
    activity_client: httpx.AsyncClient, activity_db: asyncpg.Connection, token: Callable[..., str]
) -> None:
    children = list(generate(seed=8, refs=child_refs(60, prefix="HDR")))
    parts = ssda903(children)
    name, episodes, media_type = parts["episodes"]
    # a spreadsheet's own heading for the start of an episode
    parts["episodes"] = (name, episodes.replace(b"DECOM", b"Start date", 1), media_type)

    _, errors, _ = await rejected_whole(activity_client, activity_db, token, "SSDA903", parts)

    assert [(e["location"], e["rule"]) for e in errors] == [("episodes header", "missing_column")]


async def test_records_that_break_rules_are_rejected_alone_and_paged_without_their_values(
    activity_client: httpx.AsyncClient, activity_db: asyncpg.Connection, token: Callable[..., str]
) -> None:
    tenant = new_tenant()
    headers = writer_of(token, tenant)
    faults = Faults(bad_dates=2, unknown_codes=2, duplicate_keys=2)
    children = list(generate(seed=31, refs=child_refs(40, prefix="ERR"), faults=faults))
    # and a referral closed before it began: dates out of order
    closed = next(
        r for c in children if not c.faults for r in c.referrals if r.closure_date is not None
    )
    closed.closure_date = closed.referral_date - timedelta(days=3)
    expected = intended_records(cin_census_records(children))
    expected.pop(
        next(k for k in expected if k[0] == "referral" and k[2] == closed.referral_date.isoformat()
             and expected[k].get("closure_date") == closed.closure_date.isoformat())
    )  # fmt: skip

    load = await load_return(activity_client, headers, "CIN_CENSUS", "FY2025", cin_census(children))
    errors, pages = await all_errors(activity_client, headers, load["id"], limit=2)

    assert load["status"] == "APPLIED", load
    refused = [e for e in errors if e["severity"] == "error"]
    assert sorted((e["field"], e["rule"]) for e in refused) == sorted(
        [("authorised_date", "date_format")] * 2
        + [("referral_source", "code_not_in_list")] * 2
        + [("start_date", "duplicate_key")] * 2
        + [("closure_date", "date_order")]
    )
    assert load["counts"]["rejected"] == len(refused) == 7
    assert pages == -(-len(errors) // 2)  # every page full but the last
    assert all(e["location"].startswith("/Message/Children/Child[") for e in errors)
    # the rest of the return applied
    assert await held_records(activity_db, tenant) == expected
    # no value from the file: no child, no date, no code
    answered = str(errors)
    for child in children:
        assert child.child_ref not in answered
    assert closed.closure_date.isoformat() not in answered and "ZZ" not in answered


async def stored_counts(conn: asyncpg.Connection, headers: dict[str, str]) -> tuple[int, int]:
    """The loads and stored file chunks of the tenant `headers` name (a chunk cannot outlive
    its upload's transaction without its load: the reference is checked at commit)."""
    tenant = headers["X-Test-Tenant"]
    loads = await conn.fetchval("SELECT count(*) FROM return_loads WHERE tenant = $1", tenant)
    files = await conn.fetchval(
        "SELECT count(*) FROM return_files f JOIN return_loads l ON l.id = f.load_id "
        "WHERE l.tenant = $1",
        tenant,
    )
    orphans = await conn.fetchval(
        "SELECT count(*) FROM return_files f WHERE NOT EXISTS "
        "(SELECT 1 FROM return_loads l WHERE l.id = f.load_id)"
    )
    assert orphans == 0
    return loads, files


async def test_an_upload_over_its_limit_is_413_as_it_streams_and_stores_nothing(
    activity_client: httpx.AsyncClient, activity_db: asyncpg.Connection, token: Callable[..., str]
) -> None:
    headers = writer_of(token, new_tenant())
    before = await stored_counts(activity_db, headers)
    sent = 0
    boundary = "limit-test-boundary"
    piece = b"x" * (1024 * 1024)
    total = OTHER_LIMIT + 16 * len(piece)

    async def body() -> AsyncIterator[bytes]:
        nonlocal sent
        for name, value in (("kind", "SSDA903"), ("year", "FY2025")):
            yield (f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
                   f"{value}\r\n").encode()  # fmt: skip
        yield (f'--{boundary}\r\nContent-Disposition: form-data; name="episodes"; '
               'filename="episodes.csv"\r\nContent-Type: text/csv\r\n\r\n').encode()  # fmt: skip
        while sent < total:
            sent += len(piece)
            yield piece
        yield f"\r\n--{boundary}--\r\n".encode()

    response = await activity_client.post(
        "/v1/returns",
        content=body(),
        headers={**headers, "Content-Type": f"multipart/form-data; boundary={boundary}"},
    )

    assert response.status_code == 413, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert "episodes" in response.json()["detail"]
    # refused as soon as the part passed 64 MiB, not after the whole body
    assert OTHER_LIMIT < sent <= OTHER_LIMIT + 2 * len(piece)
    assert await stored_counts(activity_db, headers) == before


async def test_a_census_file_may_be_larger_than_any_other_file(
    activity_client: httpx.AsyncClient, activity_db: asyncpg.Connection, token: Callable[..., str]
) -> None:
    headers = writer_of(token, new_tenant())
    big = b"<!-- " + b"x" * (OTHER_LIMIT + 1024) + b" -->"
    census = await upload(activity_client, headers, "ANNEX_A", "FY2025",
                          {"list_3": ("l3.csv", big, CSV)})  # fmt: skip
    assert census.status_code == 413, census.text
    accepted = await upload(
        activity_client, headers, "CIN_CENSUS", "FY2025", {"file": ("c.xml", big, XML)}
    )
    assert accepted.status_code == 202, accepted.text
    # stored whole (in chunks of 1 MiB), and read back whole by the census's reader: a
    # comment is no census
    load = await finished(activity_client, headers, accepted.headers["Location"])
    assert load["files"] == {"file": {"bytes": len(big), "media_type": XML}}
    assert load["status"] == "REJECTED"
    assert load["progress"]["bytes_read"] == len(big)


async def test_a_body_or_part_of_another_media_type_is_415_and_stores_nothing(
    activity_client: httpx.AsyncClient, activity_db: asyncpg.Connection, token: Callable[..., str]
) -> None:
    headers = writer_of(token, new_tenant())
    before = await stored_counts(activity_db, headers)
    census = cin_census(generate(seed=1, refs=child_refs(3, prefix="MT")))["file"][1]

    as_json = await activity_client.post(
        "/v1/returns", json={"kind": "CIN_CENSUS", "year": "FY2025"}, headers=headers
    )
    as_html = await upload(activity_client, headers, "CIN_CENSUS", "FY2025",
                           {"file": ("c.html", census, "text/html")})  # fmt: skip
    xml_as_csv = await upload(activity_client, headers, "SSDA903", "FY2025",
                              {"episodes": ("e.xml", census, XML)})  # fmt: skip
    workbook_as_census = await upload(
        activity_client, headers, "CIN_CENSUS", "FY2025",
        {"file": ("c.xlsx", census, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")},
    )  # fmt: skip

    for response in (as_json, as_html, xml_as_csv, workbook_as_census):
        assert response.status_code == 415, response.text
        assert response.headers["content-type"] == "application/problem+json"
    assert await stored_counts(activity_db, headers) == before
    # what browsers and curl send for any file is taken
    octets = await upload(activity_client, headers, "CIN_CENSUS", "FY2025",
                          {"file": ("c.xml", census, "application/octet-stream")})  # fmt: skip
    assert octets.status_code == 202, octets.text


async def test_a_missing_or_unknown_kind_a_bad_year_or_the_wrong_files_are_422(
    activity_client: httpx.AsyncClient, activity_db: asyncpg.Connection, token: Callable[..., str]
) -> None:
    headers = writer_of(token, new_tenant())
    before = await stored_counts(activity_db, headers)
    census = cin_census(generate(seed=1, refs=child_refs(3, prefix="UP")))
    csv_part = {"episodes": ("e.csv", b"CHILD\r\n", CSV)}

    async def post(data: dict[str, str], files: dict[str, Any]) -> httpx.Response:
        return await activity_client.post("/v1/returns", data=data, files=files, headers=headers)

    cases = {
        "no kind": await post({"year": "FY2025"}, census),
        "unknown kind": await post({"kind": "REST", "year": "FY2025"}, census),
        "no year": await post({"kind": "CIN_CENSUS"}, census),
        "bad year": await post({"kind": "CIN_CENSUS", "year": "2025"}, census),
        "no file": await post({"kind": "CIN_CENSUS", "year": "FY2025"}, csv_part),
        "census lacks file": await post({"kind": "SSDA903", "year": "FY2025"}, census),
        "unknown part": await post(
            {"kind": "CIN_CENSUS", "year": "FY2025"}, {**census, "extra": ("x", b"x", CSV)}
        ),
    }

    for case, response in cases.items():
        assert response.status_code == 422, (case, response.text)
        assert response.headers["content-type"] == "application/problem+json"
    assert await stored_counts(activity_db, headers) == before


async def test_another_tenants_load_and_its_errors_are_404_and_not_listed(
    activity_client: httpx.AsyncClient, token: Callable[..., str]
) -> None:
    owner, other = writer_of(token, new_tenant()), writer_of(token, new_tenant())
    parts = cin_census(generate(seed=2, refs=child_refs(3, prefix="ISO")))
    load = await load_return(activity_client, owner, "CIN_CENSUS", "FY2025", parts)

    assert (
        await activity_client.get(f"/v1/returns/{load['id']}", headers=other)
    ).status_code == 404
    errors = await activity_client.get(f"/v1/returns/{load['id']}/errors", headers=other)
    assert errors.status_code == 404
    listed = (await activity_client.get("/v1/returns", headers=other)).json()
    assert listed == {"items": [], "next_cursor": None}
    mine = (await activity_client.get("/v1/returns", headers=owner)).json()["items"]
    assert [item["id"] for item in mine] == [load["id"]]
    reader = auth(token("activity:read", tenant="886"))
    assert (await activity_client.get("/v1/returns/not-a-uuid", headers=reader)).status_code == 404


async def test_other_routes_keep_the_one_mib_body_limit(
    activity_client: httpx.AsyncClient, token: Callable[..., str]
) -> None:
    headers = writer_of(token, "886")
    response = await activity_client.post(
        "/v1/activity",
        content=b'{"records": ["' + b"x" * (1024 * 1024) + b'"]}',
        headers={**headers, "Content-Type": "application/json"},
    )
    assert response.status_code == 413, response.text
