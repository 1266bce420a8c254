from tests.helpers import assert_error_shape


def test_health_reports_database_search_and_task_mode(api, db):
    response = api.get("/healthz")
    assert response.status_code == 200
    assert response.json()["checks"]["database"]["state"] == "up"


def test_unknown_api_path_is_404_in_error_shape(api, db):
    assert_error_shape(api.get("/api/v1/nope"), 404, "not_found")
