"""The OpenAPI schema is a contract: one request encoding per operation, and the error answers listed.

Every operation lists the 4xx it can answer, each in the project's one error shape (the component
`Error`); JSON is the only request encoding except on the operations that take a file, which are
multipart only. Real error answers are checked against what the schema promises.
"""
import re

import jsonschema
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from listings.models import ListingState
from tests.helpers import assert_error_shape
from tests.listings.factories import ListingFactory, PhotoFactory, category

pytestmark = pytest.mark.django_db

METHODS = ("get", "put", "patch", "post", "delete")
ERROR_REF = "#/components/schemas/Error"
# The operations that take a file, and only they, accept multipart/form-data.
UPLOADS = {
    ("post", "/api/v1/listings/{id}/photos/"),
    ("post", "/api/v1/listings/{listing_id}/assessments/{id}/evidence"),
    ("post", "/api/v1/certificates/{id}/documents/"),
    ("post", "/api/v1/orders/{id}/claim/"),
    ("post", "/api/v1/claims/{id}/photos/"),
}


@pytest.fixture
def schema(api):
    response = api.get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    return response.json()


def operations(schema):
    for path, item in schema["paths"].items():
        for method in METHODS:
            if method in item:
                yield method, path, item[method]


def error_schema(schema):
    """The Error component as a JSON Schema (it uses no OpenAPI-only keywords)."""
    return schema["components"]["schemas"]["Error"]


def test_the_error_shape_is_a_component(schema):
    error = error_schema(schema)
    assert set(error["required"]) == {"type", "title", "status", "detail"}
    assert error["properties"]["status"]["type"] == "integer"
    assert error["properties"]["errors"]["additionalProperties"] == {"type": "array", "items": {"type": "string"}}


def test_every_operation_lists_its_error_answers_in_the_error_shape(schema):
    missing, shapeless = [], []
    for method, path, operation in operations(schema):
        codes = {code for code in operation["responses"] if code.startswith("4")}
        if not codes:
            missing.append(f"{method} {path}")
        for code, response in operation["responses"].items():
            if code[0] in "45" and response["content"] != {"application/json": {"schema": {"$ref": ERROR_REF}}}:
                shapeless.append(f"{method} {path} {code}")
    assert len(list(operations(schema))) > 90
    assert not missing, missing
    assert not shapeless, shapeless


@pytest.mark.parametrize(("method", "path", "expected"), [
    # Writes on a resource: every client mistake, a missing row, a refused state change.
    ("post", "/api/v1/listings/{id}/publish/", {"400", "401", "403", "404", "409", "429"}),
    ("post", "/api/v1/listings/", {"400", "401", "403", "409", "413", "415", "429"}),
    # A public read: a stale token, a missing row, throttled; never 403.
    ("get", "/api/v1/listings/{id}/", {"401", "404", "429"}),
    # A paginated public list: bad filters, a page past the end.
    ("get", "/api/v1/listings/", {"400", "401", "404", "429"}),
    # Signed-in reads may be forbidden.
    ("get", "/api/v1/listings/{id}/transitions/", {"401", "403", "404", "429"}),
    # Search keeps the 503 its view declares, now in the error shape.
    ("get", "/api/v1/search/listings", {"400", "401", "429", "503"}),
    # Login takes no token: 401 is a wrong password.
    ("post", "/api/v1/auth/login", {"400", "401", "403", "409", "413", "415", "429"}),
])
def test_each_operation_lists_the_statuses_it_can_answer(schema, method, path, expected):
    listed = {code for code in schema["paths"][path][method]["responses"] if code[0] in "45"}
    assert listed == expected


def test_one_request_encoding_per_operation_and_multipart_only_for_files(schema):
    encodings = {}
    for method, path, operation in operations(schema):
        if "requestBody" in operation:
            encodings[(method, path)] = list(operation["requestBody"]["content"])
    assert all(len(types) == 1 for types in encodings.values()), encodings
    multipart = {key for key, types in encodings.items() if types == ["multipart/form-data"]}
    assert multipart == UPLOADS
    assert {types[0] for key, types in encodings.items() if key not in UPLOADS} == {"application/json"}

    # "Only for files" both ways: a request body with a binary field is an upload.
    components = schema["components"]["schemas"]
    for (method, path), types in encodings.items():
        body = schema["paths"][path][method]["requestBody"]["content"][types[0]]["schema"]
        properties = components[body["$ref"].rsplit("/", 1)[1]]["properties"] if "$ref" in body else {}
        takes_file = any(
            "binary" in (prop.get("format"), prop.get("items", {}).get("format")) for prop in properties.values()
        )
        assert takes_file == ((method, path) in UPLOADS), (method, path)


def test_a_form_post_is_refused_before_parsing_even_with_thousands_of_fields(api, client_for, user, schema):
    """Django refuses more than 1,000 form fields with an exception (it was a 500): JSON-only views
    never parse a form."""
    flood = {f"field{n}": "x" for n in range(1500)}
    login = api.post("/api/v1/auth/login", flood, format="multipart")
    assert_error_shape(login, 415, "unsupported_media_type")
    urlencoded = api.generic("POST", "/api/v1/auth/register", "&".join(f"f{n}=x" for n in range(1500)),
                             content_type="application/x-www-form-urlencoded")
    assert_error_shape(urlencoded, 415, "unsupported_media_type")
    created = client_for(user).post("/api/v1/listings/", flood, format="multipart")
    assert_error_shape(created, 415, "unsupported_media_type")
    for path in ("/api/v1/auth/login", "/api/v1/listings/"):
        assert "415" in schema["paths"][path]["post"]["responses"]


def test_uploads_take_multipart_and_refuse_json(client_for, user):
    listing = ListingFactory(seller=user, state=ListingState.DRAFT)
    as_json = client_for(user).post(f"/api/v1/listings/{listing.pk}/photos/", {"image": "not a file"}, format="json")
    assert_error_shape(as_json, 415, "unsupported_media_type")


def test_an_upload_with_thousands_of_form_fields_is_a_400(client_for, user):
    listing = ListingFactory(seller=user, state=ListingState.DRAFT)
    flood = {f"field{n}": "x" for n in range(1500)}
    response = client_for(user).post(f"/api/v1/listings/{listing.pk}/photos/", flood, format="multipart")
    assert_error_shape(response, 400, "too_many_fields")
    assert not listing.photos.exists()


def test_real_error_answers_are_what_the_schema_promises(api, client_for, user, other_user, schema):
    draft = ListingFactory(seller=user, state=ListingState.DRAFT)
    owner = client_for(user)
    answers = {
        ("post", "/api/v1/listings/"): [
            (api.post("/api/v1/listings/", {"title": "x"}), 401),
            (owner.post("/api/v1/listings/", {"title": "", "category": category().pk}), 400),
            (owner.post("/api/v1/listings/", "{not json", content_type="application/json"), 400),
            (owner.post("/api/v1/listings/", "<xml/>", content_type="application/xml"), 415),
        ],
        ("get", "/api/v1/listings/{id}/"): [(api.get("/api/v1/listings/999999/"), 404)],
        ("get", "/api/v1/listings/"): [(api.get("/api/v1/listings/", {"page": 999}), 400)],
        ("post", "/api/v1/listings/{id}/publish/"): [(owner.post(f"/api/v1/listings/{draft.pk}/publish/"), 409)],
        ("post", "/api/v1/listings/{id}/suspend/"): [
            (client_for(other_user).post(f"/api/v1/listings/{draft.pk}/suspend/", {"reason": "x"}), 403),
        ],
        ("post", "/api/v1/listings/{id}/photos/"): [
            (owner.post(f"/api/v1/listings/{draft.pk}/photos/",
                        {"image": SimpleUploadedFile("a.txt", b"text", content_type="text/plain")},
                        format="multipart"), 400),
        ],
    }
    for (method, path), responses in answers.items():
        documented = schema["paths"][path][method]["responses"]
        for response, status in responses:
            assert response.status_code == status, (path, response.content)
            assert str(status) in documented, (method, path, status)
            assert response["Content-Type"] == "application/json"
            jsonschema.validate(response.json(), error_schema(schema))


def test_a_read_only_choice_of_a_blank_column_may_be_blank(client_for, user, schema):
    """A draft has no grade yet: its grade_source is "", which the schema must allow."""
    draft = ListingFactory(seller=user, state=ListingState.DRAFT)
    detail = client_for(user).get(f"/api/v1/listings/{draft.pk}/").json()
    assert detail["grade_source"] == ""
    field = schema["components"]["schemas"]["ListingDetail"]["properties"]["grade_source"]
    assert {"$ref": "#/components/schemas/BlankEnum"} in field["oneOf"]
    assert schema["components"]["schemas"]["BlankEnum"]["enum"] == [""]


def test_blank_columns_read_back_as_the_schema_allows(schema):
    """Evidence that names no criterion stores "", which the criterion_key pattern must accept."""
    pattern = schema["components"]["schemas"]["Evidence"]["properties"]["criterion_key"]["pattern"]
    assert re.search(pattern, "") and re.search(pattern, "battery_health")
    assert not re.search(pattern, "not a key!")


def test_only_a_list_offers_the_list_filters_and_pages(schema, client_for, user):
    """A viewset's filters and pages are its list's; its other actions answer about one object."""
    def query(method, path):
        return {p["name"] for p in schema["paths"][path][method].get("parameters", []) if p["in"] == "query"}

    assert {"kind", "min_price", "organization", "seller"} <= query("get", "/api/v1/listings/")
    assert query("post", "/api/v1/listings/{id}/photos/reorder/") == set()
    assert query("get", "/api/v1/listings/{id}/history/") == set()
    assert query("get", "/api/v1/certificates/{id}/history/") == set()
    assert "kind" in query("get", "/api/v1/notifications/")
    assert query("put", "/api/v1/notifications/preferences/") == set()

    reorder = schema["paths"]["/api/v1/listings/{id}/photos/reorder/"]["post"]["responses"]["200"]
    assert reorder["content"]["application/json"]["schema"] == {
        "type": "array", "items": {"$ref": "#/components/schemas/Photo"},
    }
    listing = ListingFactory(seller=user, state=ListingState.DRAFT)
    photo = PhotoFactory(listing=listing)
    answer = client_for(user).post(f"/api/v1/listings/{listing.pk}/photos/reorder/", {"photo_ids": [photo.pk]})
    assert answer.status_code == 200, answer.content
    assert [item["id"] for item in answer.json()] == [photo.pk]


def test_an_integer_beyond_64_bits_in_a_json_body_is_a_400(client_for, user):
    """Found by Schemathesis: mark-read with such an id was an OverflowError (500) on SQLite."""
    signed_in = client_for(user)
    for body in ({"ids": [2**64]}, {"ids": [-(2**63) - 1]}, {"photo_ids": [1, 10**30]}):
        response = signed_in.post("/api/v1/notifications/mark-read/", body)
        error = assert_error_shape(response, 400, "parse_error")
        assert error["detail"] == "A number in the request is too large: integers have at most 64 bits."
    largest = signed_in.post("/api/v1/notifications/mark-read/", {"ids": [2**63 - 1]})
    assert largest.status_code == 200, largest.content
    assert largest.json() == {"unread": 0}


def test_an_integer_query_parameter_beyond_64_bits_is_never_a_server_error(schema, client_for, staff):
    """Found by Schemathesis on /reviews/?seller=: SQLite cannot bind such an int (OverflowError, 500)."""
    signed_in = client_for(staff)
    checked = 0
    for method, path, operation in operations(schema):
        if method != "get" or "{" in path:
            continue
        for parameter in operation.get("parameters", []):
            if parameter["in"] == "query" and parameter.get("schema", {}).get("type") == "integer":
                for value in (10**30, -(10**30)):
                    response = signed_in.get(path, {parameter["name"]: value})
                    assert response.status_code < 500, (path, parameter["name"], response.content)
                checked += 1
    assert checked >= 5
