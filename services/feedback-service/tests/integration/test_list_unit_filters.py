"""The staff lists' org-unit filters (feedback, participation, complaints): a code that names
no unit of that kind in the tenant's tree is a 422 naming the parameter, not an empty page that
looks like an answer; a unit of the tenant's tree narrows the list to it."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from qaf_shared.testing.fixtures import auth
from qaf_shared.testing.units import UNIT_FILTERS, UnitFilter

LISTS = ["/v1/feedback", "/v1/participation", "/v1/complaints"]


@pytest.mark.parametrize("path", LISTS)
@pytest.mark.parametrize("unit_filter", UNIT_FILTERS)
async def test_a_unit_filter_narrows_the_list_to_a_known_unit_and_an_unknown_one_is_422(
    feedback_client: httpx.AsyncClient,
    token: Callable[..., str],
    path: str,
    unit_filter: UnitFilter,
) -> None:
    await unit_filter.check(feedback_client, path, auth(token("feedback:read")))
