import pytest_asyncio

from qaf_shared.testing.fixtures import DatabaseFactory, TopicsFactory

from .feed import Own


@pytest_asyncio.fixture
async def own(make_database: DatabaseFactory, make_topics: TopicsFactory) -> Own:
    """A new database and new, empty topics: the consumer reaches a test's records at once
    (not after every other test's events), and the figures are the test's alone."""
    return Own(await make_database("reporting_service"), await make_topics())
