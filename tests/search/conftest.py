"""Search tests outside the contract suite run on the database backend."""
import pytest

from search import service


@pytest.fixture
def database_search(settings):
    settings.SEARCH_BACKEND = "database"
    service.reset_backends()
    yield service.get_backend()
    service.reset_backends()
