"""What other apps show on a listing's page, without listings importing them.

orders registers the seller's record (completed sales, upheld claims, rating) here, so a buyer sees
it beside the listing while listings keeps knowing nothing of orders. An extra is a name, a loader
(listings -> {listing id: value}, in a fixed number of queries) and the serializer of a value;
`ListingDetailSerializer` answers each registered extra under its name.
"""
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers


@dataclass(frozen=True)
class Extra:
    name: str
    load: Callable[[list], dict[int, Any]]
    serializer: type[serializers.Serializer]


_EXTRAS: dict[str, Extra] = {}


def register(name: str, *, load: Callable[[list], dict[int, Any]], serializer: type[serializers.Serializer]) -> None:
    _EXTRAS[name] = Extra(name, load, serializer)


def registered() -> list[Extra]:
    return list(_EXTRAS.values())


class ExtraField(serializers.Field):
    """A registered extra of the listing being serialized, loaded once per serializer context."""

    def __init__(self, extra: Extra):
        self.extra = extra
        super().__init__(source="*", read_only=True)

    def to_representation(self, listing):
        loaded = self.context.setdefault("listing_extras", {}).setdefault(self.extra.name, {})
        if listing.pk not in loaded:
            loaded.update(self.extra.load([listing]))
        value = loaded.get(listing.pk)
        return None if value is None else self.extra.serializer(value, context=self.context).data


def field_for(extra: Extra) -> ExtraField:
    # A class per extra, so the schema names the extra's own serializer.
    field_class = extend_schema_field(extra.serializer)(type(f"{extra.name.title()}ExtraField", (ExtraField,), {}))
    return field_class(extra)
