"""Search's "certified" trust filter follows the certificate a listing relies on."""
from certification import services
from certification.selectors import certified_listing_ids
from search.documents import build_documents
from tests.certification.factories import make_unit
from tests.listings.factories import ListingFactory, active


def _linked_listing(reman, reman_admin, reman_member, certificate):
    listing = ListingFactory(remanufactured=True, seller=reman_admin, organization=reman)
    unit = make_unit(reman_member, reman, certificate=certificate)
    services.link_listing_certificate(
        listing, actor=reman_admin, certificate=certificate, warranty_months=12, coverage_zh="整机保修",
        unit_codes=[unit.trace_code],
    )
    return active(listing)


def test_a_listing_relying_on_a_valid_certificate_is_certified(reman, reman_admin, reman_member, certificate):
    listing = _linked_listing(reman, reman_admin, reman_member, certificate)
    uncertified = ListingFactory(remanufactured=True, seller=reman_admin, organization=reman)

    assert certified_listing_ids([listing.pk, uncertified.pk]) == {listing.pk}
    (document,) = build_documents([listing])
    assert document["certified"] is True


def test_a_suspended_certificate_no_longer_certifies(reman, reman_admin, reman_member, certificate, body_admin):
    listing = _linked_listing(reman, reman_admin, reman_member, certificate)

    services.suspend_certificate(certificate, actor=body_admin, reason="年度监督审核未通过")

    assert certified_listing_ids([listing.pk]) == set()
