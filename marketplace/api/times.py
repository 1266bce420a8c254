"""Every time the API reads or writes is UTC: `2026-01-05T02:00:00Z` (README: "Times are ISO 8601 in UTC").

TIME_ZONE (Asia/Shanghai) is for people: pages, e-mails and local dates such as a certificate's
last valid day. DRF's DateTimeField writes a time in the *current* zone, which made `created_at`
read `+08:00` while answers built from plain dicts said `Z`; DRF has no setting for the zone of
its fields, so `use_utc_for_api_times()` (run once, from MarketplaceConfig.ready) gives every
DateTimeField, declared or generated from a model field, UTC as its zone. A time sent without an
offset is read as UTC by the same rule. What is stored does not change: times are stored in UTC.
"""
from datetime import UTC

from django.conf import settings
from rest_framework import fields


def _utc(field):
    return UTC if settings.USE_TZ else None


def use_utc_for_api_times() -> None:
    fields.DateTimeField.default_timezone = _utc
