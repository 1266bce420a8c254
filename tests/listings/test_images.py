"""The shared image pipeline on real generated pictures."""
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import ExifTags, Image, ImageCms

from marketplace.images import ImageRejected, dhash, hamming, hash_bands, process_upload
from tests.listings.factories import image_bytes, upload


def _exif_with_gps(orientation=1):
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = orientation
    exif[ExifTags.Base.Make] = "TestCam"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (23.0, 7.0, 45.5)
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (113.0, 19.0, 12.25)
    return exif


def _open(content_file):
    content_file.seek(0)
    return Image.open(io.BytesIO(content_file.read()))


def test_gps_exif_and_icc_are_gone_from_every_stored_file():
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    source = image_bytes(exif=_exif_with_gps(), icc_profile=icc)
    assert Image.open(io.BytesIO(source)).getexif().get_ifd(ExifTags.IFD.GPSInfo)  # the upload really has GPS

    processed = process_upload(upload(content=source))

    for stored in (processed.original, processed.display, processed.thumbnail):
        image = _open(stored)
        assert not image.getexif(), image.getexif()
        assert "exif" not in image.info and "icc_profile" not in image.info and "xmp" not in image.info
        stored.seek(0)
        assert b"TestCam" not in stored.read()


def test_exif_orientation_is_applied_before_the_metadata_is_dropped():
    # Stored landscape, left half red and right half blue; orientation 6 means "rotate 90° clockwise to view".
    image = Image.new("RGB", (400, 200), (255, 0, 0))
    image.paste((0, 0, 255), (200, 0, 400, 200))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=95, exif=_exif_with_gps(orientation=6))

    processed = process_upload(upload(content=buffer.getvalue()))

    assert (processed.width, processed.height) == (200, 400)
    upright = _open(processed.original).convert("RGB")
    assert upright.size == (200, 400)
    top, bottom = upright.getpixel((100, 50)), upright.getpixel((100, 350))
    assert top[0] > 200 and top[2] < 60  # red on top
    assert bottom[2] > 200 and bottom[0] < 60  # blue below
    assert ExifTags.Base.Orientation not in _open(processed.original).getexif()


def test_derivatives_are_webp_bounded_to_display_and_thumbnail_sizes():
    processed = process_upload(upload(size=(3000, 2000)))

    original, display, thumbnail = (_open(f) for f in (processed.original, processed.display, processed.thumbnail))
    assert (original.format, original.size) == ("JPEG", (3000, 2000))
    assert (display.format, display.size) == ("WEBP", (1280, 853))
    assert (thumbnail.format, thumbnail.size) == ("WEBP", (320, 213))
    assert processed.original.name.endswith(".jpg") and processed.display.name.endswith(".webp")


def test_small_pictures_are_not_enlarged():
    processed = process_upload(upload(size=(200, 100)))
    assert _open(processed.display).size == (200, 100)
    assert _open(processed.thumbnail).size == (200, 100)


def test_transparent_png_keeps_its_alpha_in_a_png_original():
    processed = process_upload(upload("logo.png", content=image_bytes("PNG", alpha=True), content_type="image/png"))
    original = _open(processed.original)
    assert original.format == "PNG" and original.mode == "RGBA"


def test_webp_uploads_are_accepted():
    processed = process_upload(upload("photo.webp", content=image_bytes("WEBP"), content_type="image/webp"))
    assert processed.width == 640


def test_a_text_file_named_jpg_is_refused():
    with pytest.raises(ImageRejected) as caught:
        process_upload(SimpleUploadedFile("photo.jpg", b"this is not a picture at all", content_type="image/jpeg"))
    assert caught.value.code == "invalid_image"
    assert caught.value.status_code == 400


def test_a_gif_is_refused_even_though_pillow_reads_it():
    with pytest.raises(ImageRejected) as caught:
        process_upload(upload("anim.gif", content=image_bytes("GIF"), content_type="image/gif"))
    assert caught.value.code == "invalid_image"


def test_a_truncated_jpeg_is_refused():
    data = image_bytes(size=(800, 600))
    with pytest.raises(ImageRejected) as caught:
        process_upload(upload(content=data[: len(data) // 2]))
    assert caught.value.code == "invalid_image"


def test_an_empty_file_is_refused():
    with pytest.raises(ImageRejected):
        process_upload(upload(content=b""))


def test_a_decompression_bomb_is_refused_from_its_header():
    # 50 megapixels of one bit each: a few kilobytes on the wire, 150 MB once decoded as RGB.
    bomb = io.BytesIO()
    Image.new("1", (10_000, 5_000)).save(bomb, "PNG")
    assert len(bomb.getvalue()) < 200_000
    with pytest.raises(ImageRejected) as caught:
        process_upload(upload("bomb.png", content=bomb.getvalue(), content_type="image/png"))
    assert caught.value.code == "image_too_many_pixels"


def test_pillows_own_bomb_guard_becomes_a_400_not_a_crash(monkeypatch):
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)
    with pytest.raises(ImageRejected) as caught:
        process_upload(upload(size=(100, 100)), max_pixels=10_000_000)
    assert caught.value.code == "image_too_many_pixels"


def test_too_many_bytes_is_refused(settings):
    settings.IMAGE_MAX_BYTES = 1000
    with pytest.raises(ImageRejected) as caught:
        process_upload(upload(size=(640, 480)))
    assert caught.value.code == "image_too_large"


def test_the_same_picture_re_encoded_keeps_a_close_hash_and_another_picture_does_not():
    first = process_upload(upload(seed=7))
    recompressed = process_upload(upload(content=image_bytes(seed=7, quality=40)))
    resized = process_upload(upload(size=(1280, 960), seed=7))
    other = process_upload(upload(seed=8))
    assert hamming(first.phash, recompressed.phash) <= 4
    assert hamming(first.phash, resized.phash) <= 4
    assert hamming(first.phash, other.phash) > 10
    assert len(first.phash) == 16


def test_hash_bands_cover_all_64_bits():
    assert hash_bands("0" * 16) == [0, 0, 0, 0, 0]
    assert hash_bands("f" * 16) == [8191, 8191, 8191, 8191, 4095]
    assert dhash(Image.new("RGB", (50, 50), "white")) == "0" * 16
