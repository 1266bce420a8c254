"""Documents of a certificate (the scanned certificate, audit reports), each noted in its history."""
from django.db import transaction
from django.utils.translation import gettext as _

from certification.documents import prepare_document
from certification.models import CertificateDocument, CertificateEvent
from certification.services.certificates import require_issuer_admin

MAX_DOCUMENT_BYTES = 10 * 1024 * 1024


@transaction.atomic
def add_certificate_document(certificate, *, actor, title, upload) -> CertificateDocument:
    """A PDF (checked by its magic bytes) or an image (re-encoded, metadata dropped) of the certificate."""
    require_issuer_admin(actor, certificate)
    kind, content = prepare_document(upload, max_bytes=MAX_DOCUMENT_BYTES)
    document = CertificateDocument(certificate=certificate, title=title, kind=kind, size=content.size, uploaded_by=actor)
    document.file.save(content.name, content, save=False)
    document.save()
    CertificateEvent.objects.create(
        certificate=certificate, actor=actor, from_status=certificate.status, to_status=certificate.status,
        reason=_("Document added: %(title)s") % {"title": title},
    )
    return document
