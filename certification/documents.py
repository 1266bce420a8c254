"""Certificate documents: a PDF (recognised by its magic bytes, bounded in size) or an image.

Images go through the shared pipeline (marketplace.images.clean_upload), which refuses
non-images and bombs and drops all metadata; only its cleaned original is kept.
"""
import uuid

from django.core.files.base import ContentFile
from django.utils.translation import gettext as _

from certification.models import DocumentKind
from marketplace.errors import DomainError
from marketplace.images import clean_upload

PDF_MAGIC = b"%PDF-"


def _read_bounded(upload, max_bytes: int) -> bytes:
    upload.seek(0)
    data = upload.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise DomainError(
            _("The document is larger than %(size)s MB.") % {"size": max_bytes // (1024 * 1024)},
            code="document_too_large", field="file",
        )
    if not data:
        raise DomainError(_("The file is empty."), code="invalid_document", field="file")
    return data


def prepare_document(upload, *, max_bytes: int) -> tuple[str, ContentFile]:
    """(kind, cleaned file) for an upload; DomainError (400) for anything but a PDF or an accepted image."""
    data = _read_bounded(upload, max_bytes)
    if data.startswith(PDF_MAGIC):
        return DocumentKind.PDF, ContentFile(data, name=f"{uuid.uuid4().hex}.pdf")
    upload.seek(0)
    try:
        cleaned = clean_upload(upload, max_bytes=max_bytes)
    except DomainError as exc:
        # Neither a PDF nor an image we accept: say both, under the form's field.
        message = _("Upload the certificate as a PDF or as an image: %(problem)s") % {"problem": exc.message}
        raise DomainError(message, code=exc.code, field="file") from exc
    return DocumentKind.IMAGE, cleaned.original
