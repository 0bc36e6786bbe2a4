"""One JSON codec for the hot paths (orjson), so events and rows serialise the same way."""

from __future__ import annotations

from typing import Any

import orjson


def dumps(value: Any) -> str:
    return orjson.dumps(value).decode()


def dumpb(value: Any) -> bytes:
    return orjson.dumps(value)


def loads(value: str | bytes) -> Any:
    return orjson.loads(value)
