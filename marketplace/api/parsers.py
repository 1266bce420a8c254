"""The request parser: JSON everywhere (see the settings); the views that take a file add DRF's
MultiPartParser, whose form floods marketplace.api.errors answers (400 too_many_fields/files)."""
import codecs

from django.conf import settings
from django.utils.translation import gettext as _
from rest_framework import parsers
from rest_framework.exceptions import ParseError
from rest_framework.utils import json

# No id, quantity or count of this API needs more than 64 bits, and neither database can compare
# with a larger integer (SQLite raises OverflowError, PostgreSQL an out-of-range error): a 500.
INT64 = range(-(2**63), 2**63)


class _TooLarge(ValueError):
    pass


def _bounded_int(text):
    value = int(text)
    if value not in INT64:
        raise _TooLarge(text)
    return value


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, where an integer beyond 64 bits is a 400 (parse_error) like malformed JSON."""

    def parse(self, stream, media_type=None, parser_context=None):
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        try:
            return json.load(
                codecs.getreader(encoding)(stream),
                parse_constant=json.strict_constant if self.strict else None,
                parse_int=_bounded_int,
            )
        except _TooLarge as exc:
            raise ParseError(_("A number in the request is too large: integers have at most 64 bits.")) from exc
        except ValueError as exc:
            raise ParseError(f"JSON parse error - {exc}") from exc

