import pytest
from pydantic import BaseModel, ValidationError

from qaf_shared.text import StorableStr, storable


class Note(BaseModel):
    text: StorableStr


@pytest.mark.parametrize("text", ["a\x00b", "a\ud800b", "\udfff"])
def test_text_postgresql_cannot_store_is_a_validation_error(text: str) -> None:
    with pytest.raises(ValidationError):
        Note(text=text)


def test_ordinary_text_including_any_valid_unicode_passes() -> None:
    assert Note(text="Café \U0001f600 \t\n").text == "Café \U0001f600 \t\n"


def test_echoed_text_is_made_storable() -> None:
    assert storable("a\x00b\ud800c") == "a\ufffdb?c"
    assert storable("plain") == "plain"
