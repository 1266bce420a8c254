"""Search for listings. The interface the project calls is search.service; see docs/search.md."""
