"""One JSON codec for the hot paths (orjson), so events and rows serialise the same way."""

from __future__ import annotations

from typing import Any

import orjson


def dumps(value: Any) -> str:
    return orjson.dumps(value).decode()


def dumpb(value: Any) -> bytes:
    return orjson.dumps(value)


def loads(value: str | bytes | memoryview) -> Any:
    return orjson.loads(value)


def fragment(text: str | bytes) -> Any:
    """Already serialised JSON to embed as it is in what `dumps` writes (no parse, no copy
    into Python values)."""
    return orjson.Fragment(text)
