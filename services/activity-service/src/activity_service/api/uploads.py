"""Receiving a return's upload (docs/activity.md, The returns): the multipart/form-data body
parsed as it streams in (python-multipart's parser), each file written to the load's stored
chunks as it arrives, so an upload is never whole in memory. Each limit is checked as soon
as it can be: a file past its size is 413 and a part of the wrong media type is 415 the
moment it shows, and the caller's transaction rolls back whatever was stored."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Final

import asyncpg
from fastapi import Request
from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.requests import ClientDisconnect

from activity_service.domain.kinds import Source
from activity_service.domain.loads import (
    ANNEX_A_LISTS,
    CHUNK_BYTES,
    CIN_CENSUS_LIMIT,
    FIELDS,
    FILE_PARTS,
    MAX_FIELD_BYTES,
    MIB,
    OTHER_LIMIT,
    media_types,
    parts_problem,
    read_kind,
    read_year,
    size_limit,
)
from activity_service.repository import loads as load_rows
from qaf_shared.http.problems import Problem, field_error

# The most a whole upload may be: a census file's limit, any other part's for every list,
# and room for the form's boundaries and headers.
MAX_UPLOAD_BYTES: Final = CIN_CENSUS_LIMIT + len(ANNEX_A_LISTS) * OTHER_LIMIT + MIB
MAX_PARTS: Final = len(FIELDS) + len(FILE_PARTS)


@dataclass(frozen=True)
class Uploaded:
    """What the form said, its files stored: each part's size and media type."""

    kind: Source
    year: int
    parts: dict[str, dict[str, Any]]


def _too_large(part: str, limit: int) -> Problem:
    return Problem(413, f"The part {part!r} is larger than {limit // MIB} MiB.")


def _wrong_type(part: str, media_type: str) -> Problem:
    return Problem(415, f"The part {part!r} cannot be {media_type}.")


@dataclass
class _Part:
    name: str
    is_file: bool
    media_type: str
    size: int = 0
    seq: int = 0
    buffer: bytearray = field(default_factory=bytearray)


class _Receiver:
    """The parser's callbacks only note what they saw; `drain` acts on it (asynchronously:
    storing a chunk, refusing the upload) after each piece of the body."""

    def __init__(self, conn: asyncpg.Connection, load_id: uuid.UUID) -> None:
        self.conn = conn
        self.load_id = load_id
        self.events: list[tuple[str, Any]] = []
        self.header_name = bytearray()
        self.header_value = bytearray()
        self.headers: dict[str, bytes] = {}
        self.part: _Part | None = None
        self.fields: dict[str, str] = {}
        self.files: dict[str, dict[str, Any]] = {}
        self.count = 0

    def callbacks(self) -> dict[str, Callable[..., None]]:
        def data_of(kind: str) -> Callable[[bytes, int, int], None]:
            def note(data: bytes, start: int, end: int) -> None:
                self.events.append((kind, bytes(data[start:end])))

            return note

        def note(kind: str) -> Callable[[], None]:
            return lambda: self.events.append((kind, None))

        return {
            "on_part_begin": note("begin"),
            "on_header_field": data_of("header_field"),
            "on_header_value": data_of("header_value"),
            "on_header_end": note("header_end"),
            "on_headers_finished": note("headers_done"),
            "on_part_data": data_of("data"),
            "on_part_end": note("end"),
        }

    @property
    def kind(self) -> Source | None:
        return read_kind(self.fields.get("kind", ""))

    async def drain(self) -> None:
        events, self.events = self.events, []
        for kind, data in events:
            if kind == "begin":
                self.headers = {}
                self.count += 1
                if self.count > MAX_PARTS:
                    raise Problem(422, "The form has more parts than a return has.")
            elif kind == "header_field":
                self.header_name += data
            elif kind == "header_value":
                self.header_value += data
            elif kind == "header_end":
                self.headers[bytes(self.header_name).decode("latin-1").lower()] = bytes(
                    self.header_value
                )
                self.header_name.clear()
                self.header_value.clear()
            elif kind == "headers_done":
                self.part = self._begin()
            elif kind == "data":
                await self._data(data)
            elif kind == "end":
                await self._end()

    def _begin(self) -> _Part:
        disposition, options = parse_options_header(self.headers.get("content-disposition", b""))
        name = options.get(b"name", b"").decode("latin-1")
        if disposition != b"form-data" or not name:
            raise Problem(422, "Each part of the form must be named form-data.")
        if name in self.fields or name in self.files:
            raise field_error(f"body.{name}", "given more than once")
        if name in FIELDS:
            return _Part(name, is_file=False, media_type="text/plain")
        if name not in FILE_PARTS:
            raise field_error(f"body.{name}", "not a part of any return")
        # RFC 7578: a part without a type is text/plain; files from a browser or curl
        # always say theirs
        media_type, _ = parse_options_header(self.headers.get("content-type", b"text/plain"))
        written = media_type.decode("latin-1").lower()
        if written not in media_types(self.kind, name):
            raise _wrong_type(name, written)
        return _Part(name, is_file=True, media_type=written)

    async def _data(self, data: bytes) -> None:
        part = self.part
        assert part is not None
        part.size += len(data)
        if not part.is_file:
            if part.size > MAX_FIELD_BYTES:
                raise field_error(f"body.{part.name}", "too long")
            part.buffer += data
            return
        limit = size_limit(self.kind, part.name)
        if part.size > limit:
            raise _too_large(part.name, limit)
        part.buffer += data
        while len(part.buffer) >= CHUNK_BYTES:
            await self._store(part, bytes(part.buffer[:CHUNK_BYTES]))
            del part.buffer[:CHUNK_BYTES]

    async def _store(self, part: _Part, chunk: bytes) -> None:
        await load_rows.add_chunk(self.conn, self.load_id, part.name, part.seq, chunk)
        part.seq += 1

    async def _end(self) -> None:
        part = self.part
        assert part is not None
        if not part.is_file:
            try:
                self.fields[part.name] = part.buffer.decode("utf-8").strip()
            except UnicodeDecodeError:
                raise field_error(f"body.{part.name}", "not UTF-8 text") from None
        else:
            if part.buffer:
                await self._store(part, bytes(part.buffer))
            self.files[part.name] = {"bytes": part.size, "media_type": part.media_type}
        self.part = None

    def result(self) -> Uploaded:
        """The form, checked whole: its kind, year and files (422), and each file against
        the kind now known (415, 413)."""
        raw_kind, raw_year = self.fields.get("kind"), self.fields.get("year")
        if raw_kind is None:
            raise field_error("body.kind", "Field required", "missing")
        kind = self.kind
        if kind is None:
            raise field_error("body.kind", "should be CIN_CENSUS, SSDA903 or ANNEX_A")
        if raw_year is None:
            raise field_error("body.year", "Field required", "missing")
        year = read_year(raw_year)
        if year is None:
            raise field_error("body.year", "should be a collection year such as FY2025")
        problem = parts_problem(kind, self.files)
        if problem is not None:
            raise Problem(422, problem, slug="validation")
        for name, stored in self.files.items():
            if stored["media_type"] not in media_types(kind, name):
                raise _wrong_type(name, stored["media_type"])
            limit = size_limit(kind, name)
            if stored["bytes"] > limit:
                raise _too_large(name, limit)
        return Uploaded(kind, year, self.files)


def _boundary(request: Request) -> bytes:
    media_type, options = parse_options_header(request.headers.get("content-type", ""))
    boundary = options.get(b"boundary")
    if media_type != b"multipart/form-data" or not boundary:
        raise Problem(415, "A return is uploaded as multipart/form-data.")
    return boundary


async def receive(request: Request, conn: asyncpg.Connection, load_id: uuid.UUID) -> Uploaded:
    """Read the upload, storing its files as the load's chunks in `conn`'s transaction."""
    boundary = _boundary(request)
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > MAX_UPLOAD_BYTES:
        raise Problem(413, f"An upload is at most {MAX_UPLOAD_BYTES // MIB} MiB.")
    receiver = _Receiver(conn, load_id)
    parser = MultipartParser(boundary, receiver.callbacks())  # type: ignore[arg-type]
    received = 0
    try:
        async for piece in request.stream():
            received += len(piece)
            if received > MAX_UPLOAD_BYTES:
                raise Problem(413, f"An upload is at most {MAX_UPLOAD_BYTES // MIB} MiB.")
            parser.write(piece)
            await receiver.drain()
        parser.finalize()
        await receiver.drain()
    except MultipartParseError:
        raise Problem(400, "The body is not well-formed multipart/form-data.") from None
    except ClientDisconnect:
        # nothing to answer; the transaction rolls back what was stored
        raise Problem(400, "The upload was cut off.") from None
    if receiver.part is not None:
        raise Problem(400, "The body is not well-formed multipart/form-data.")
    return receiver.result()
