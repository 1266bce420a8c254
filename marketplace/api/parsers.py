"""Parsers of the views that take a file (everything else takes JSON only: see the settings)."""
from django.core.exceptions import TooManyFieldsSent, TooManyFilesSent
from django.utils.translation import gettext as _
from rest_framework import parsers
from rest_framework.exceptions import ParseError


class MultiPartParser(parsers.MultiPartParser):
    """multipart/form-data where Django's caps on the number of fields and files are a 400 in the
    error shape (DRF lets them through as a 500)."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except (TooManyFieldsSent, TooManyFilesSent) as exc:
            raise ParseError(_("The form has too many fields or files.")) from exc
