"""A stored upload read back as a file: the chunks of one part of a load (`return_files`),
fetched one at a time as a reader asks for bytes, so a reader streams the file from the
database and never holds more than a chunk of it.

The readers are synchronous and run in a thread of their own; the chunks come through the
service's event loop and pool, which that thread calls into."""

from __future__ import annotations

import asyncio
import io
import uuid

import asyncpg

from activity_service.domain.loads import CHUNK_BYTES
from activity_service.repository import loads as load_rows


class StoredFile(io.RawIOBase):
    """One part of a load as a seekable binary file (an XLSX workbook is read by seeking);
    to be read from a thread other than the event loop's."""

    def __init__(
        self,
        pool: asyncpg.Pool,
        loop: asyncio.AbstractEventLoop,
        load_id: uuid.UUID,
        part: str,
        size: int,
    ) -> None:
        self._pool = pool
        self._loop = loop
        self._load_id = load_id
        self._part = part
        self._size = size
        self._position = 0
        self._seq = -1
        self._data = b""

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._position, io.SEEK_END: self._size}[whence]
        self._position = max(0, base + offset)
        return self._position

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        if self._position >= self._size or not len(buffer):
            return 0
        # every chunk but the last holds exactly CHUNK_BYTES
        seq, offset = divmod(self._position, CHUNK_BYTES)
        if seq != self._seq:
            self._data = self._fetch(seq)
            self._seq = seq
        piece = self._data[offset : offset + len(buffer)]
        buffer[: len(piece)] = piece
        self._position += len(piece)
        return len(piece)

    def _fetch(self, seq: int) -> bytes:
        async def fetch() -> bytes | None:
            async with self._pool.acquire() as conn:
                return await load_rows.chunk(conn, self._load_id, self._part, seq)

        data = asyncio.run_coroutine_threadsafe(fetch(), self._loop).result()
        if data is None:
            raise OSError(f"chunk {seq} of the load's {self._part} is missing")
        return data
