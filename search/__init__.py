"""Search for listings: one interface, a database backend and an Elasticsearch backend.

`search.index(listing)`, `search.delete(listing_id)`, `search.search(query)`,
`search.suggest(prefix)`, `search.rebuild()` and `search.get_backend()` forward to
`search.service` (imported lazily, so importing this package never touches the app registry).
"""


def get_backend():
    from search import service

    return service.get_backend()


def index(listing) -> None:
    from search import service

    service.index(listing)


def delete(listing_id: int) -> None:
    from search import service

    service.delete(listing_id)


def search(query):
    from search import service

    return service.search(query)


def suggest(prefix: str, limit: int = 10) -> list[str]:
    from search import service

    return service.suggest(prefix, limit=limit)


def rebuild(progress=None) -> int:
    from search import service

    return service.rebuild(progress=progress)
