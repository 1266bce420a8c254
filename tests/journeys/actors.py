"""People acting through the HTTP API only: real token auth, one client IP per person.

Nothing here touches models to *do* things; the only model use in the journeys is the platform
staff account (staff cannot be created through the API) and reading stored files to prove
that metadata was stripped.
"""
import io
import itertools
import random
import re

from django.core import mail
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import TestCase
from PIL import ExifTags, Image, ImageDraw
from rest_framework.test import APIClient

from tests.factories import PASSWORD, StaffFactory, credit_code
from tests.helpers import assert_error_shape

_ips = itertools.count(10)
_codes = itertools.count(7_300_000)
_pictures = itertools.count(1)

GPS_IFD = ExifTags.IFD.GPSInfo


def anonymous(language="en") -> APIClient:
    client = APIClient(REMOTE_ADDR=f"198.51.100.{next(_ips)}")
    client.credentials(HTTP_ACCEPT_LANGUAGE=language)
    return client


class Person:
    """Someone using the API with the token they got from registering or logging in."""

    def __init__(self, login, token, user, *, language="en"):
        self.login = login
        self.user = user
        self.id = user["id"]
        self.client = APIClient(REMOTE_ADDR=f"203.0.113.{next(_ips)}")
        self.client.credentials(HTTP_AUTHORIZATION=f"Token {token}", HTTP_ACCEPT_LANGUAGE=language)

    def get(self, path, **params):
        return self.client.get(path, params)

    def post(self, path, data=None, **extra):
        return self.client.post(path, data if data is not None else {}, format=extra.pop("format", "json"), **extra)

    def put(self, path, data):
        return self.client.put(path, data, format="json")

    def patch(self, path, data):
        return self.client.patch(path, data, format="json")


def register(email, *, display_name, city="广州市", district="天河区", language="en") -> Person:
    """Sign up with an e-mail address, confirm with the code from the mail; the journey then logs
    in like a returning user."""
    client = anonymous()
    # The mail goes out once the request's transaction commits, as in production.
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client.post(
            "/api/v1/auth/register",
            {"email": email, "password": PASSWORD, "display_name": display_name, "city": city, "district": district,
             "language": language},
            format="json",
        )
    assert response.status_code == 202, response.content
    [message] = [message for message in mail.outbox if message.to == [email]]
    code = re.search(r"/confirm-registration\?token=([\w-]+)", message.body)[1]
    confirmed = client.post("/api/v1/auth/register/confirm", {"token": code, "password": PASSWORD}, format="json")
    assert confirmed.status_code == 201, confirmed.content
    assert confirmed.json()["token"]
    return login(email, client=client)


def login(login_name, *, client=None) -> Person:
    client = client or anonymous()
    response = client.post("/api/v1/auth/login", {"login": login_name, "password": PASSWORD}, format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    return Person(login_name, body["token"], body["user"])


def platform_staff() -> Person:
    """Staff accounts are made by the platform, not through the API; they log in like anyone."""
    staff = StaffFactory(email=f"staff{next(_ips)}@platform.example.com", display_name="平台审核员")
    return login(staff.email)


def register_organization(owner: Person, kind, name, city="广州市") -> dict:
    response = owner.post("/api/v1/organizations/", {
        "kind": kind, "name": name, "legal_name": f"{name}有限公司", "credit_code": credit_code(next(_codes)),
        "address": f"{city}天河区体育西路{next(_codes) % 100}号", "city": city, "district": "天河区",
        "contact_name": "联系人", "contact_phone": "020-87654321", "contact_email": "contact@org.example.com",
    })
    assert response.status_code == 201, response.content
    org = response.json()
    assert org["verification_status"] == "pending"
    # The creator owns it (the create answer itself says my_role=None: see the report).
    mine = owner.get(f"/api/v1/organizations/{org['id']}/").json()
    assert mine["my_role"] == "owner", mine
    return mine


def verified_by_staff(staff: Person, org: dict) -> dict:
    response = staff.post(f"/api/v1/organizations/{org['id']}/verify/", {"reason": "营业执照已核验"})
    assert response.status_code == 200, response.content
    assert response.json()["verification_status"] == "verified"
    return response.json()


def find_category(tree, slug):
    for node in tree:
        if node["slug"] == slug:
            return node
        found = find_category(node["children"], slug)
        if found:
            return found
    return None


def category(client_or_person, slug) -> dict:
    response = client_or_person.get("/api/v1/categories/")
    assert response.status_code == 200
    node = find_category(response.json(), slug)
    assert node is not None, f"no category {slug}"
    return node


def published_standard(client_or_person, code) -> dict:
    response = client_or_person.get("/api/v1/grading/standards/", status="published", code=code)
    assert response.status_code == 200, response.content
    results = response.json()["results"]
    assert len(results) == 1, results
    return results[0]


def _caps(criterion):
    """{answer: cap level code} for the answers that cap, read from the standard as served."""
    if criterion["answer_type"] == "choice":
        return {choice["value"]: choice["cap"] for choice in criterion["choices"] if choice.get("cap")}
    if criterion["answer_type"] == "boolean":
        return {key == "true": rule["cap"] for key, rule in criterion["rules"].items()
                if key in ("true", "false") and rule.get("cap")}
    return {}


def flawless_answers(standard, *, inspection=False) -> dict:
    """For each criterion the answer that caps nothing, worked out from the standard's own rules."""
    answers = {}
    for criterion in standard["criteria"]:
        if criterion["inspection_only"] and not inspection:
            continue
        caps = _caps(criterion)
        if criterion["answer_type"] == "boolean":
            answers[criterion["key"]] = next(value for value in (True, False) if value not in caps)
        elif criterion["answer_type"] == "choice":
            answers[criterion["key"]] = next(c["value"] for c in criterion["choices"] if c["value"] not in caps)
        elif criterion["answer_type"] == "number":
            answers[criterion["key"]] = criterion["max"]
    return answers


def sellable_flaw(standard, axis="cosmetic"):
    """(criterion key, answer, capped level) of a choice on `axis` that lowers the grade but still sells."""
    sellable = {level["code"] for level in standard["levels"] if level["sellable"]}
    best = standard["levels"][0]["code"]
    for criterion in standard["criteria"]:
        if criterion["axis"] != axis or criterion["answer_type"] != "choice" or criterion["inspection_only"]:
            continue
        for value, cap in _caps(criterion).items():
            if cap in sellable and cap != best:
                return criterion["key"], value, cap
    raise AssertionError(f"{standard['label']} has no sellable {axis} flaw")


def jpeg_with_gps(size=(800, 600)) -> bytes:
    """A real photo-like JPEG carrying EXIF GPS (a position in Guangzhou) and a camera serial."""
    rng = random.Random(next(_pictures))
    image = Image.new("RGB", size, tuple(rng.randrange(256) for _ in range(3)))
    draw = ImageDraw.Draw(image)
    for _ in range(25):
        x0, y0 = rng.randrange(size[0]), rng.randrange(size[1])
        draw.rectangle((x0, y0, x0 + rng.randrange(20, 300), y0 + rng.randrange(20, 300)),
                       fill=tuple(rng.randrange(256) for _ in range(3)))
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "TestPhone"
    exif[ExifTags.Base.BodySerialNumber] = "CAM-SERIAL-0042"
    gps = exif.get_ifd(GPS_IFD)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (23.0, 7.0, 30.5)
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (113.0, 19.0, 12.25)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif, quality=92)
    data = buffer.getvalue()
    assert has_gps(Image.open(io.BytesIO(data))), "the test photo must carry GPS to prove anything"
    return data


def has_gps(image) -> bool:
    exif = image.getexif()
    return bool(exif.get_ifd(GPS_IFD)) or GPS_IFD in exif


def upload_photo(person: Person, listing_id) -> dict:
    upload = SimpleUploadedFile("IMG_0001.jpg", jpeg_with_gps(), content_type="image/jpeg")
    response = person.client.post(f"/api/v1/listings/{listing_id}/photos/", {"image": upload}, format="multipart")
    assert response.status_code == 201, response.content
    return response.json()


def stored_image(url):
    """The stored file behind a media URL the API handed out."""
    from django.conf import settings

    path = url.split(settings.MEDIA_URL, 1)[1]
    with default_storage.open(path) as handle:
        image = Image.open(io.BytesIO(handle.read()))
        image.load()
    return image


def ids(page) -> list:
    return [item["id"] for item in page["results"]]


__all__ = ["assert_error_shape"]
