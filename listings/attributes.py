"""Category attributes: validated against the category's JSON Schema, then normalized.

Schemas are JSON Schema draft 2020-12 with our own "format"s, checked (not just annotated):
  isbn            ISBN-10 or ISBN-13 with a valid check digit (hyphens and spaces allowed), checked
                  by python-stdnum; stored normalized as ISBN-13
  imei-last4      the last four digits of an IMEI (the full IMEI is never asked for)
  oe-part-number  an original-equipment part number: letters, digits, '-', '.', ' ', 4 to 30 long
Unknown fields are refused by the schemas (additionalProperties: false).
"""
import re

from django.utils.translation import gettext as _
from jsonschema import Draft202012Validator, FormatChecker
from stdnum import isbn
from stdnum.exceptions import ValidationError as InvalidNumber

from marketplace.errors import DomainError

_ISBN_SEPARATORS = re.compile(r"[\s-]")
# The ISBN-10 and ISBN-13 shapes only: stdnum alone would also take nine digits (an old SBN).
_ISBN_SHAPE = re.compile(r"[0-9]{9}[0-9X]|[0-9]{13}")
_OE_PART = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 .\-]{2,28}[A-Za-z0-9]$")
_IMEI_LAST4 = re.compile(r"^[0-9]{4}$")


def normalize_isbn(value: str) -> str | None:
    """The ISBN-13 of a valid ISBN-10 or ISBN-13, or None when the value is not a valid ISBN."""
    if not isinstance(value, str):
        return None
    digits = _ISBN_SEPARATORS.sub("", value).upper()
    if not _ISBN_SHAPE.fullmatch(digits):
        return None
    try:
        return isbn.validate(digits, convert=True)
    except InvalidNumber:
        return None


FORMAT_CHECKER = FormatChecker()


@FORMAT_CHECKER.checks("isbn")
def _check_isbn(value):
    return not isinstance(value, str) or normalize_isbn(value) is not None


@FORMAT_CHECKER.checks("imei-last4")
def _check_imei_last4(value):
    return not isinstance(value, str) or bool(_IMEI_LAST4.fullmatch(value))


@FORMAT_CHECKER.checks("oe-part-number")
def _check_oe_part(value):
    return not isinstance(value, str) or bool(_OE_PART.fullmatch(value.strip()))


_FORMAT_MESSAGES = {
    "isbn": lambda: _("Not a valid ISBN-10 or ISBN-13 (check the digits)."),
    "imei-last4": lambda: _("Give exactly the last 4 digits of the IMEI."),
    "oe-part-number": lambda: _("Not a valid OE part number (letters, digits, '-' and '.', 4 to 30 characters)."),
}


def _message(error) -> str:
    validator = error.validator
    if validator == "format":
        return _FORMAT_MESSAGES.get(error.validator_value, lambda: _("Invalid format."))()
    if validator == "required":
        return _("This field is required.")
    if validator == "type":
        return _("Wrong type of value.")
    if validator == "enum":
        return _("Choose one of: %(choices)s.") % {"choices": ", ".join(str(v) for v in error.validator_value)}
    if validator in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        return _("Value out of the allowed range.")
    if validator in ("minLength", "maxLength"):
        return _("Text too short or too long.")
    if validator in ("pattern", "anyOf", "oneOf"):
        return _("Invalid value.")
    return _("Invalid value.")


def _field_of(error) -> str:
    if error.validator == "required":
        missing = re.search(r"'([^']+)' is a required property", error.message)
        return missing.group(1) if missing else ""
    return ".".join(str(part) for part in error.absolute_path)


def validate_attributes(schema: dict, attributes) -> dict:
    """Check `attributes` against `schema` and return them normalized; raise DomainError on the first problem.

    The error's field is "attributes.<name>" so clients can show it beside the input.
    """
    if attributes is None:
        attributes = {}
    if not isinstance(attributes, dict):
        raise DomainError(_("Attributes must be an object."), code="invalid_attributes", field="attributes")
    schema = schema or {"type": "object", "additionalProperties": False}
    validator = Draft202012Validator(schema, format_checker=FORMAT_CHECKER)
    errors = sorted(validator.iter_errors(attributes), key=lambda e: (list(e.absolute_path), e.validator))
    for error in errors:
        if error.validator == "additionalProperties":
            known = set(schema.get("properties", {}))
            unknown = sorted(set(attributes) - known)
            name = unknown[0] if unknown else ""
            raise DomainError(
                _("Unknown attribute “%(name)s” for this category.") % {"name": name},
                code="invalid_attributes",
                field=f"attributes.{name}" if name else "attributes",
            )
        field = _field_of(error)
        raise DomainError(_message(error), code="invalid_attributes", field=f"attributes.{field}" if field else "attributes")
    return normalize_attributes(schema, attributes)


def normalize_attributes(schema: dict, attributes: dict) -> dict:
    """Canonical forms of formatted values: ISBN-13, trimmed OE part numbers in upper case."""
    normalized = dict(attributes)
    for name, spec in (schema.get("properties") or {}).items():
        value = normalized.get(name)
        if not isinstance(value, str):
            continue
        fmt = spec.get("format")
        if fmt == "isbn":
            normalized[name] = normalize_isbn(value)
        elif fmt == "oe-part-number":
            normalized[name] = value.strip().upper()
        elif spec.get("type") == "string":
            normalized[name] = value.strip()
    return normalized
