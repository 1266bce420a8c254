from io import StringIO

from django.core.management import call_command

from certification.chain import verify_chain
from certification.models import Certificate, ListingCertification, RemanufacturedUnit, TraceEvent
from listings.models import ListingState


def snapshot():
    return (Certificate.objects.count(), RemanufacturedUnit.objects.count(), TraceEvent.objects.count(),
            ListingCertification.objects.count())


def test_demo_has_a_certified_remanufacturer_with_traced_units_and_is_idempotent(db, api):
    out = StringIO()
    call_command("load_demo", stdout=out)
    first = snapshot()
    call_command("load_demo", stdout=StringIO())
    assert snapshot() == first

    assert set(Certificate.objects.values_list("type", "status").distinct()) == {("product", "valid"), ("qms", "valid")}
    links = ListingCertification.objects.select_related("listing")
    assert links.count() == 3
    assert all(link.listing.state == ListingState.ACTIVE for link in links)
    for link in links:
        units = list(RemanufacturedUnit.objects.filter(listing=link.listing))
        assert len(units) == link.listing.quantity
        assert all(verify_chain(unit).ok and verify_chain(unit).length == 7 for unit in units)
    unit = RemanufacturedUnit.objects.first()
    assert api.get(f"/api/v1/verify/{unit.trace_code}").json()["certificate"]["status"] == "valid"
    assert "certification: 3 certificates, 4 traced units, 3 active remanufactured listings; try /verify/" in out.getvalue()
