"""The shared image pipeline: every uploaded photo (listing photos, grading evidence) goes through here.

clean_upload() runs in the request: it refuses what is not really a JPEG, PNG or WebP image,
bounds bytes and pixels (decompression bombs answer 400, never crash a worker), applies the EXIF
orientation and then re-encodes without any metadata, so GPS positions, camera serials and
ICC/XMP blocks never reach storage. It returns the cleaned original and a 64-bit difference hash
for spotting the same picture reused elsewhere.

make_derivatives() is the slow part, run by a task after the original is stored: a ~1280 px
display and a ~320 px thumbnail (both WebP) of the cleaned original; make_thumbnail() only the
thumbnail. derive_stored() reads a stored original back for such a task; make_stored_thumbnail()
and make_pending_thumbnails() are the whole task and its sweep for rows with an `image` and a
`thumbnail` (grading evidence, claim photos).

process_upload() does both at once, for callers that keep an image without a task.
"""
import io
import logging
import uuid
import warnings
from dataclasses import dataclass

from django.conf import settings
from django.core.files.base import ContentFile
from django.utils import timezone
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from marketplace.errors import DomainError

logger = logging.getLogger("marketplace.images")

ACCEPTED_FORMATS = {"JPEG", "PNG", "WEBP"}
DISPLAY_SIZE = 1280
THUMBNAIL_SIZE = 320
JPEG_QUALITY = 90
WEBP_QUALITY = 82

# Perceptual hash: 64 bits cut into bands of these widths. Two hashes at most PHASH_MAX_DISTANCE
# bits apart agree on at least one whole band (pigeonhole), so a lookup by band finds every
# near-duplicate candidate with plain indexed equality.
PHASH_BAND_BITS = (13, 13, 13, 13, 12)
PHASH_MAX_DISTANCE = len(PHASH_BAND_BITS) - 1


class ImageRejected(DomainError):
    """The upload is not an image we accept, or is too large (HTTP 400)."""

    default_code = "invalid_image"


@dataclass
class CleanImage:
    """An upload that passed the checks, re-encoded without metadata: safe to store."""

    original: ContentFile
    width: int
    height: int
    phash: str


@dataclass
class Derivatives:
    display: ContentFile
    thumbnail: ContentFile


@dataclass
class ProcessedImage:
    original: ContentFile
    display: ContentFile
    thumbnail: ContentFile
    width: int
    height: int
    phash: str


def _read_bounded(uploaded_file, max_bytes: int) -> bytes:
    size = getattr(uploaded_file, "size", None)
    if size is not None and size > max_bytes:
        raise _too_large(max_bytes)
    if hasattr(uploaded_file, "seek"):
        uploaded_file.seek(0)
    data = uploaded_file.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise _too_large(max_bytes)
    if not data:
        raise ImageRejected(_("The file is empty."), code="invalid_image")
    return data


def _too_large(max_bytes):
    return ImageRejected(
        _("The image is larger than %(size)s MB.") % {"size": round(max_bytes / (1024 * 1024), 1)},
        code="image_too_large",
    )


def _too_many_pixels(max_pixels):
    return ImageRejected(
        _("The image has more than %(megapixels)s megapixels.") % {"megapixels": round(max_pixels / 1_000_000, 1)},
        code="image_too_many_pixels",
    )


def _not_an_image():
    return ImageRejected(_("The file is not a JPEG, PNG or WebP image."), code="invalid_image")


def _open_checked(data: bytes, max_pixels: int) -> Image.Image:
    """Open, verify and fully decode the image, refusing bombs and anything that is not an accepted image."""
    with warnings.catch_warnings():
        # Pillow only warns between MAX_IMAGE_PIXELS and twice that: make every bomb an error.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            probe = Image.open(io.BytesIO(data))
            if probe.format not in ACCEPTED_FORMATS:
                raise _not_an_image()
            width, height = probe.size
            # Checked from the header, before any pixel is decoded.
            if width * height > max_pixels:
                raise _too_many_pixels(max_pixels)
            probe.verify()
            image = Image.open(io.BytesIO(data))
            image.load()
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise _too_many_pixels(max_pixels) from exc
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError) as exc:
            raise _not_an_image() from exc
    if width <= 0 or height <= 0:
        raise _not_an_image()
    return image


def _has_alpha(image: Image.Image) -> bool:
    return image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info)


def _strip(image: Image.Image) -> Image.Image:
    """A copy that carries pixels only: no EXIF (GPS!), ICC profile, XMP or text chunks."""
    mode = "RGBA" if _has_alpha(image) else "RGB"
    converted = image.convert(mode)
    clean = Image.new(mode, converted.size)
    clean.paste(converted)
    return clean


def _encode(image: Image.Image, fmt: str, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **options)
    return buffer.getvalue()


def _derivative(image: Image.Image, box: int) -> bytes:
    copy = image.copy()
    copy.thumbnail((box, box), Image.Resampling.LANCZOS)
    return _encode(copy, "WEBP", quality=WEBP_QUALITY, method=4)


def dhash(image: Image.Image) -> str:
    """64-bit difference hash as 16 hex digits: robust to re-encoding and resizing."""
    small = image.convert("L").resize((9, 8), Image.Resampling.LANCZOS)
    pixels = small.tobytes()
    bits = 0
    for row in range(8):
        for col in range(8):
            left, right = pixels[row * 9 + col], pixels[row * 9 + col + 1]
            bits = (bits << 1) | (1 if left > right else 0)
    return f"{bits:016x}"


def hamming(hash_a: str, hash_b: str) -> int:
    return (int(hash_a, 16) ^ int(hash_b, 16)).bit_count()


def hash_bands(phash: str) -> list[int]:
    """The hash cut into PHASH_BAND_BITS bands (most significant first), for indexed near-duplicate lookups."""
    value, bands, shift = int(phash, 16), [], 64
    for width in PHASH_BAND_BITS:
        shift -= width
        bands.append((value >> shift) & ((1 << width) - 1))
    return bands


def clean_upload(uploaded_file, *, max_bytes=None, max_pixels=None) -> CleanImage:
    """Validate and clean an uploaded image; raises ImageRejected (400) with a reason the user can act on."""
    max_bytes = max_bytes or settings.IMAGE_MAX_BYTES
    max_pixels = max_pixels or settings.IMAGE_MAX_PIXELS
    data = _read_bounded(uploaded_file, max_bytes)
    image = _open_checked(data, max_pixels)
    image.seek(0)  # animated WebP/PNG: the first frame stands for the photo
    oriented = ImageOps.exif_transpose(image)
    clean = _strip(oriented)
    stem = uuid.uuid4().hex
    if clean.mode == "RGBA":
        original = ContentFile(_encode(clean, "PNG", optimize=True), name=f"{stem}.png")
    else:
        original = ContentFile(_encode(clean, "JPEG", quality=JPEG_QUALITY, optimize=True), name=f"{stem}.jpg")
    return CleanImage(original=original, width=clean.width, height=clean.height, phash=dhash(clean))


def _derivatives_of(clean: Image.Image, stem: str) -> Derivatives:
    return Derivatives(
        display=ContentFile(_derivative(clean, DISPLAY_SIZE), name=f"{stem}.webp"),
        thumbnail=ContentFile(_derivative(clean, THUMBNAIL_SIZE), name=f"{stem}.webp"),
    )


def make_derivatives(original) -> Derivatives:
    """The WebP display and thumbnail of a cleaned original (a file object, e.g. read back from
    storage by a task). The original passed clean_upload, so it is opened with the same bounds
    and no metadata is left to carry over."""
    data = original.read()
    image = _open_checked(data, settings.IMAGE_MAX_PIXELS)
    return _derivatives_of(_strip(image), uuid.uuid4().hex)


def make_thumbnail(original) -> ContentFile:
    """Only the WebP thumbnail of a cleaned original (for images that have no display size)."""
    image = _open_checked(original.read(), settings.IMAGE_MAX_PIXELS)
    return ContentFile(_derivative(_strip(image), THUMBNAIL_SIZE), name=f"{uuid.uuid4().hex}.webp")


def derive_stored(stored, make, what: str):
    """`make(file)` of a stored image (a FieldFile), or None when it cannot be read: its row was
    deleted meanwhile (its files go after that commit) or storage lost it. Logged, never raised:
    the task's sweep tries again."""
    try:
        with stored.open("rb") as original:
            return make(original)
    except (OSError, ImageRejected) as exc:
        logger.warning("No derivatives for %s: %s", what, exc)
        return None


def make_stored_thumbnail(model, pk) -> bool:
    """The task after an upload of a `model` row with `image` and `thumbnail`: make its thumbnail.

    True when it has one (now or before), False when the row is gone or its image cannot be read.
    The image work holds no lock; one UPDATE that only a row still without a thumbnail takes
    records it, so a delete or a second run meanwhile leaves no file behind.
    """
    row = model.objects.filter(pk=pk).first()
    if row is None:
        return False
    if row.thumbnail:
        return True
    thumbnail = derive_stored(row.image, make_thumbnail, f"{model._meta.model_name} {pk}")
    if thumbnail is None:
        return False
    row.thumbnail.save(thumbnail.name, thumbnail, save=False)
    if model.objects.filter(pk=pk, thumbnail="").update(thumbnail=row.thumbnail.name):
        return True
    row.thumbnail.delete(save=False)  # deleted meanwhile, or another run was first
    return model.objects.filter(pk=pk).exists()


def make_pending_thumbnails(model, *, older_than, limit=100) -> int:
    """The sweep: `model` rows still without a thumbnail `older_than` after their upload (their task
    was lost: broker down, worker killed) get one now, oldest first. Returns how many did."""
    due = (
        model.objects.filter(thumbnail="", created_at__lte=timezone.now() - older_than)
        .order_by("id").values_list("pk", flat=True)[:limit]
    )
    return sum(1 for pk in list(due) if make_stored_thumbnail(model, pk))


def process_upload(uploaded_file, *, max_bytes=None, max_pixels=None) -> ProcessedImage:
    """clean_upload and the derivatives in one go (for callers that keep an image without a task)."""
    clean = clean_upload(uploaded_file, max_bytes=max_bytes, max_pixels=max_pixels)
    clean.original.seek(0)
    derivatives = make_derivatives(clean.original)
    clean.original.seek(0)
    return ProcessedImage(
        original=clean.original, display=derivatives.display, thumbnail=derivatives.thumbnail,
        width=clean.width, height=clean.height, phash=clean.phash,
    )
