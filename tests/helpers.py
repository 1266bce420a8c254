"""Assertions shared by test packages."""

def assert_error_shape(response, status, type_=None):
    """Every error the API returns has the one shape."""
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) >= {"type", "title", "status", "detail"}, body
    assert body["status"] == status
    assert isinstance(body["detail"], str) and body["detail"]
    if type_ is not None:
        assert body["type"] == type_, body
    return body
