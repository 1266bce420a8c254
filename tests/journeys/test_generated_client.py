"""A client generated from the served schema works: a resident sells through it against a live server.

`openapi-python-client` (pinned in requirements.txt, runs offline) generates a package from
`/api/schema/` into a temporary folder; the test imports it and acts out the resident's journey
with nothing but its functions and models: log in, draft a listing, upload a photo (multipart),
self-grade, publish, find it in search, and another resident favourites it. A schema that gives an
operation several request encodings breaks the import (`NameError: Unset`); one whose answers the
generated models cannot read breaks the journey.
"""
import importlib
import io
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from django.apps import apps as django_apps

from grading.models import GradingStandard
from tests.factories import PASSWORD, UserFactory
from tests.journeys.actors import flawless_answers, jpeg_with_gps
from tests.listings.factories import category

PACKAGE = "marketplace_client"

# The live server answers from another thread: its requests commit for real.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def seeded(transactional_db):
    """The rows the data migrations seed: a transactional test run before this one emptied them."""
    category("furniture")  # seeds the categories when they are gone
    if not GradingStandard.objects.exists():
        importlib.import_module("grading.migrations.0003_seed_standards").seed(django_apps, None)


@pytest.fixture
def generated_client(live_server, tmp_path):
    """The package generated from the schema the live server serves, imported."""
    schema = httpx.get(f"{live_server.url}/api/schema/", params={"format": "json"},
                       headers={"Accept-Language": "en"}, timeout=60)
    assert schema.status_code == 200, schema.text
    (tmp_path / "schema.json").write_bytes(schema.content)
    # No post hooks (they would run ruff on the output); PNG labels are bytes to the client.
    (tmp_path / "config.yml").write_text(
        f"project_name_override: {PACKAGE}\npackage_name_override: {PACKAGE}\npost_hooks: []\n"
        "content_type_overrides:\n  image/png: application/octet-stream\n"
    )
    generator = Path(sys.executable).with_name("openapi-python-client")
    done = subprocess.run(
        [str(generator), "generate", "--path", "schema.json", "--config", "config.yml", "--meta", "none"],
        cwd=tmp_path, capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    sys.path.insert(0, str(tmp_path))
    try:
        package = importlib.import_module(PACKAGE)
        # Every module, so an operation the journey does not use still has to import.
        for module in sorted(path.relative_to(tmp_path).with_suffix("") for path in (tmp_path / PACKAGE).rglob("*.py")):
            importlib.import_module(".".join(part for part in module.parts if part != "__init__"))
        yield package
    finally:
        sys.path.remove(str(tmp_path))
        for name in [name for name in sys.modules if name == PACKAGE or name.startswith(f"{PACKAGE}.")]:
            del sys.modules[name]


def test_a_resident_sells_through_a_client_generated_from_the_schema(seeded, generated_client, live_server):
    api = importlib.import_module(f"{PACKAGE}.api")
    models = importlib.import_module(f"{PACKAGE}.models")
    types = importlib.import_module(f"{PACKAGE}.types")
    auth_login = importlib.import_module(f"{api.__name__}.auth.auth_login_create")
    category_retrieve = importlib.import_module(f"{api.__name__}.categories.categories_retrieve")
    listings = {name: importlib.import_module(f"{api.__name__}.listings.listings_{name}") for name in (
        "create", "photos_create", "assessments_create", "publish_create", "favourite_create", "retrieve",
    )}
    standards_list = importlib.import_module(f"{api.__name__}.grading.grading_standards_list")
    search_listings = importlib.import_module(f"{api.__name__}.search.search_listings")
    favourites_list = importlib.import_module(f"{api.__name__}.favourites.favourites_list")

    seller_account = UserFactory(email="lina.client@example.com", display_name="琳娜")
    buyer_account = UserFactory(email="wei.client@example.com", display_name="王伟")
    furniture_id = category("furniture").pk

    def signed_in(email):
        anonymous = generated_client.Client(base_url=live_server.url, raise_on_unexpected_status=True)
        answer = auth_login.sync_detailed(client=anonymous, body=models.LoginRequest(login=email, password=PASSWORD))
        assert answer.status_code == 200, answer.content
        assert isinstance(answer.parsed, models.TokenResponse)
        return generated_client.AuthenticatedClient(
            base_url=live_server.url, token=answer.parsed.token, prefix="Token", raise_on_unexpected_status=True,
            headers={"Accept-Language": "en"}, timeout=httpx.Timeout(60),
        )

    seller = signed_in(seller_account.email)

    # A wrong password is an error in the one shape, read by the generated Error model.
    refused = auth_login.sync_detailed(
        client=generated_client.Client(base_url=live_server.url),
        body=models.LoginRequest(login=seller_account.email, password="not-the-password"),
    )
    assert refused.status_code == 401
    assert isinstance(refused.parsed, models.Error)
    assert (refused.parsed.type_, refused.parsed.status) == ("authentication_failed", 401)

    furniture = category_retrieve.sync(client=seller, id=str(furniture_id))
    assert furniture.slug == "furniture" and furniture.grading_standard_code

    draft = listings["create"].sync(client=seller, body=models.ListingCreateRequest.from_dict({
        "category": furniture_id, "title": "宜家书柜 九成新 Billy bookcase", "description": "自用两年，搬家转让",
        "price": "280.00", "city": "广州市", "district": "天河区",
        "attributes": {"material": "刨花板", "width_cm": 80},
    }))
    assert isinstance(draft, models.ListingDetail), draft
    assert draft.state == models.ListingStateEnum.DRAFT

    # Publishing a bare draft is refused (409) with the reasons, in the error shape.
    early = listings["publish_create"].sync_detailed(client=seller, id=str(draft.id))
    assert early.status_code == 409 and isinstance(early.parsed, models.Error)

    photo = listings["photos_create"].sync(client=seller, id=str(draft.id), body=models.PhotoUploadRequest(
        image=types.File(payload=io.BytesIO(jpeg_with_gps()), file_name="IMG_0001.jpg", mime_type="image/jpeg"),
    ))
    assert isinstance(photo, models.Photo), photo
    assert photo.position == 0

    standards = standards_list.sync(client=seller, code=furniture.grading_standard_code,
                                   status=models.GradingStandardsListStatus.PUBLISHED)
    assert standards.count == 1
    answers = flawless_answers(standards.results[0].to_dict())
    assessment = listings["assessments_create"].sync(
        client=seller, listing_id=draft.id,
        body=models.AssessmentCreateRequest.from_dict({"answers": answers, "notes": "无明显划痕"}),
    )
    assert isinstance(assessment, models.Assessment), assessment
    assert assessment.sellable is True

    published = listings["publish_create"].sync(client=seller, id=str(draft.id))
    assert isinstance(published, models.ListingDetail), published
    assert published.state == models.ListingStateEnum.ACTIVE

    buyer = signed_in(buyer_account.email)
    found = search_listings.sync(client=buyer, q="书柜")
    assert isinstance(found, models.SearchResponse), found
    assert draft.id in [hit.id for hit in found.results]

    favourited = listings["favourite_create"].sync_detailed(client=buyer, id=str(draft.id))
    assert favourited.status_code in (200, 201), favourited.content
    watchlist = favourites_list.sync(client=buyer)
    assert [item.listing.id for item in watchlist.results] == [draft.id]
    assert listings["retrieve"].sync(client=buyer, id=str(draft.id)).favourite_count == 1
