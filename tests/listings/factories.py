"""Factories for listings, shared by every test package. Categories come from the seeding migration
(look them up by slug; tests/conftest.py brings them back after a transactional test's flush)."""
import io
import random
from decimal import Decimal

import factory
from django.core.files.uploadedfile import SimpleUploadedFile
from factory.django import DjangoModelFactory
from PIL import Image, ImageDraw

from listings.models import Category, Listing, ListingKind, ListingPhoto, ListingState
from marketplace.images import hash_bands, process_upload
from tests.factories import UserFactory


def category(slug="furniture") -> Category:
    """A category of the seeded tree (listings/migrations/0003_seed_categories.py)."""
    return Category.objects.get(slug=slug)


def image_bytes(fmt="JPEG", size=(640, 480), color=(200, 40, 40), seed=0, **save_options) -> bytes:
    """A real picture with a few shapes; different seeds give visibly different pictures."""
    mode = "RGBA" if fmt == "PNG" and save_options.pop("alpha", False) else "RGB"
    image = Image.new(mode, size, color if mode == "RGB" else (*color, 128))
    draw = ImageDraw.Draw(image)
    width, height = size
    rng = random.Random(seed)
    # A coarse random grid of blocks: pictures of different seeds differ everywhere, so their hashes do too.
    for row in range(8):
        for col in range(9):
            shade = rng.randrange(256)
            box = [col * width // 9, row * height // 8, (col + 1) * width // 9, (row + 1) * height // 8]
            draw.rectangle(box, fill=(shade, (shade * 3) % 256, 255 - shade))
    draw.ellipse([width // 3, height // 3, width // 3 + width // 8, height // 3 + height // 8], fill=color)
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **save_options)
    return buffer.getvalue()


def upload(name="photo.jpg", content=None, content_type="image/jpeg", **image_options) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content if content is not None else image_bytes(**image_options), content_type=content_type)


class ListingFactory(DjangoModelFactory):
    class Meta:
        model = Listing
        skip_postgeneration_save = True

    seller = factory.SubFactory(UserFactory)
    category = factory.LazyFunction(lambda: category("furniture"))
    title = factory.Sequence(lambda n: f"实木书桌 {n}")
    description = "九成新，自用，搬家转让"
    price = Decimal("350.00")
    city = "广州市"
    district = "天河区"
    handover_options = factory.LazyFunction(lambda: ["pickup"])
    attributes = factory.LazyFunction(lambda: {"material": "实木"})
    state = ListingState.DRAFT
    grade_code = ""

    class Params:
        # A remanufacturer's alternator, graded on the auto-part standard (the certification tests').
        remanufactured = factory.Trait(
            kind=ListingKind.REMANUFACTURED,
            category=factory.LazyFunction(lambda: category("auto-parts")),
            title=factory.Sequence(lambda n: f"再制造发电机 {n}"),
            price=Decimal("880.00"),
            attributes=factory.LazyFunction(dict),
            grade_code="REMAN",
        )

    @factory.post_generation
    def seller_membership(listing, create, extracted, **kwargs):
        """The seller of an organization's listing is one of its members (pass
        seller_membership=False for a seller who is not, e.g. one removed from it)."""
        if not create or extracted is False or listing.organization_id is None:
            return
        from accounts.models import Membership, Role

        Membership.objects.get_or_create(
            organization_id=listing.organization_id, user_id=listing.seller_id, defaults={"role": Role.MEMBER}
        )


class PhotoFactory(DjangoModelFactory):
    """A stored photo made by the real pipeline from a generated picture."""

    class Meta:
        model = ListingPhoto

    listing = factory.SubFactory(ListingFactory)
    position = 0
    ready = True  # with its derivatives, as the task leaves it
    seed = factory.Sequence(lambda n: 10_000 + n)  # which generated picture; tests pick small seeds by hand

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        processed = process_upload(upload(seed=kwargs.pop("seed"), size=(180, 160)))
        photo = model_class(
            width=processed.width, height=processed.height, phash=processed.phash,
            **{f"hash_band_{i}": band for i, band in enumerate(hash_bands(processed.phash))}, **kwargs,
        )
        photo.original.save(processed.original.name, processed.original, save=False)
        photo.display.save(processed.display.name, processed.display, save=False)
        photo.thumbnail.save(processed.thumbnail.name, processed.thumbnail, save=False)
        photo.save()
        return photo


def publishable(**fields) -> Listing:
    """A draft with a photo and a grade: ready to publish."""
    fields.setdefault("grade_code", "A")
    listing = ListingFactory(**fields)
    PhotoFactory(listing=listing)
    return listing


def active(listing: Listing | None = None, **fields) -> Listing:
    """A listing on sale, published for real (lifecycle.publish, every rule checked): the draft
    `listing` given, with a photo added if it has none, or a new publishable draft made of `fields`."""
    from listings import lifecycle

    if listing is None:
        listing = publishable(**fields)
    elif fields:
        raise TypeError("active(listing) publishes the listing as it is: set its fields before")
    elif not listing.photos.exists():
        PhotoFactory(listing=listing)
    return lifecycle.publish(listing, actor=None)
