"""listings.eligibility is the one owner of "may this listing be on sale": every source and rule
is declared there, other apps only report facts, and only listings/ tells listeners a listing
changed."""
import ast
import pathlib

import pytest
from django.core.exceptions import ImproperlyConfigured

from listings import eligibility, lifecycle
from listings.models import ListingTransition, SuspensionSource
from tests.helpers import assert_error_shape
from tests.listings.factories import ListingFactory, active

ROOT = pathlib.Path(__file__).resolve().parents[2]

# Written out here, not read from the code: adding a source, a hold or a rule must change this test.
EXPECTED = {
    "publishing": {
        "photo_required": ("photo_required",),
        "organization_verified": ("organization_not_verified",),
        "seller_record": ("seller_record_held",),
    },
    "moderation": {},
    "grading": {
        "grade_required": ("grade_required",),
        "grade_current_standard": ("grade_outdated",),
        "grade_sellable": ("grade_unsellable",),
    },
    "certificate": {
        "remanufactured_certificate": (
            "remanufacturer_required", "certificate_required", "certificate_other_holder", "certificate_not_valid",
            "certificate_not_covering",
        ),
    },
    "compliance": {
        "traced_units": ("traced_units_missing",),
        "data_erasure": ("data_erasure_failed", "data_erasure_required"),
    },
}


def test_the_sources_and_their_rules_are_exactly_these():
    registered = {source: {rule.name: rule.codes for rule in eligibility.rules([source])} for source in eligibility.SOURCES}
    assert registered == EXPECTED
    assert set(eligibility.HOLDS) == {"order"}


def test_the_sources_enforced_on_sale_are_the_suspension_sources():
    assert eligibility.enforced_sources() == ["grading", "certificate", "compliance"]
    judged = [name for name, source in eligibility.SOURCES.items() if source.judged]
    assert judged == ["moderation"]
    assert set(SuspensionSource.values) == {*eligibility.enforced_sources(), *judged}


def test_the_module_says_what_every_source_and_rule_is():
    """Someone asking what takes a listing off sale reads it in the module's docstring."""
    doc = eligibility.__doc__
    for source, rules in EXPECTED.items():
        assert f"\n{source} " in doc, source
        for rule in rules:
            assert rule in doc, rule
    for hold in eligibility.HOLDS:
        assert f"\n{hold} " in doc, hold
    assert "Where the next reasons go" in doc


class TestRegistration:
    @pytest.fixture(autouse=True)
    def _own_registry(self, monkeypatch):
        monkeypatch.setattr(eligibility, "_RULES", dict(eligibility._RULES))

    @pytest.mark.parametrize("source", ["orders", "moderation", ""])
    def test_a_rule_of_an_undeclared_or_judged_source_fails_loudly(self, source):
        with pytest.raises(ImproperlyConfigured, match="not a source with rules"):
            eligibility.register("stock_reserved", source=source, check=lambda listing: [])

    def test_a_name_or_a_code_of_another_rule_fails_loudly(self):
        with pytest.raises(ImproperlyConfigured, match="already registered"):
            eligibility.register("photo_required", source=eligibility.COMPLIANCE, check=lambda listing: [])
        with pytest.raises(ImproperlyConfigured, match="belong to another rule"):
            eligibility.register("photos", source=eligibility.COMPLIANCE, check=lambda listing: [],
                                 codes=("photo_required",))

    def test_registering_the_same_rule_again_changes_nothing(self):
        before = eligibility.rules()
        eligibility.register("photo_required", source=eligibility.PUBLISHING, check=eligibility.photo_required)
        assert eligibility.rules() == before

    def test_a_reason_with_an_undeclared_code_fails_loudly(self):
        eligibility.register("odd", source=eligibility.COMPLIANCE, check=lambda listing: [("other_code", "Odd.")],
                             codes=("odd",))
        with pytest.raises(ImproperlyConfigured, match="undeclared code"):
            eligibility._problems_of(eligibility._RULES["odd"], object())


@pytest.mark.django_db
class TestReporting:
    @pytest.mark.parametrize("source", ["publishing", "moderation", "orders"])
    def test_only_a_source_enforced_on_sale_can_be_reevaluated(self, source):
        with pytest.raises(ValueError):
            lifecycle.reevaluate(active(), source)

    def test_reevaluating_a_source_whose_rules_hold_changes_nothing(self):
        listing = active()
        assert lifecycle.reevaluate(listing, eligibility.CERTIFICATE).state == "active"
        assert lifecycle.reevaluate_many([listing.pk], eligibility.COMPLIANCE)[0].state == "active"
        assert not ListingTransition.objects.filter(listing=listing).exclude(to_state="active").exists()


@pytest.mark.django_db
class TestHolds:
    def test_the_platform_moves_a_listing_for_a_declared_hold_only(self, monkeypatch):
        listing = active()
        with pytest.raises(ValueError):
            lifecycle.reserve(listing, actor=None, source="stall", reason="checkout")
        reserved = lifecycle.reserve(listing, actor=None, source="order", reason="checkout 42")
        released = lifecycle.release(reserved, actor=None, source="order", reason="checkout 42 expired")
        sold = lifecycle.mark_sold(released, actor=None, source="order", reason="order 43")
        assert sold.state == "sold"
        audit = list(ListingTransition.objects.filter(listing=listing).exclude(from_state="draft")
                     .values_list("to_state", "source", "actor"))
        assert audit == [("reserved", "order", None), ("active", "order", None), ("sold", "order", None)]


@pytest.mark.django_db
def test_a_publish_refusal_lists_each_reason_with_its_code(client_for):
    """Issue 22 item 17: an app can show a checklist instead of one glued sentence."""
    listing = ListingFactory(grade_code="")
    response = client_for(listing.seller).post(f"/api/v1/listings/{listing.pk}/publish/")
    body = assert_error_shape(response, 409, "not_publishable")
    assert body["errors"] == {
        "photo_required": ["Add at least one photo."],
        "grade_required": ["Grade the item first: answer the grading questions of its category."],
    }
    assert body["detail"] == (
        "This listing cannot be published yet. Add at least one photo. "
        "Grade the item first: answer the grading questions of its category."
    )


@pytest.mark.django_db
def test_a_publish_refusal_speaks_the_sellers_language(client_for):
    listing = ListingFactory(grade_code="")
    client = client_for(listing.seller)
    client.credentials(HTTP_ACCEPT_LANGUAGE="zh-hans")
    body = assert_error_shape(client.post(f"/api/v1/listings/{listing.pk}/publish/"), 409, "not_publishable")
    assert list(body["errors"]) == ["photo_required", "grade_required"]
    assert body["detail"].startswith("这件商品还不能发布。") and "请至少添加一张照片。" in body["detail"]


def _python_files():
    # The app code only: tests and benchmarks build their fixtures and corpora as rows.
    skipped = {".venv", "tests", "bench", "migrations", "node_modules", ".git"}
    for path in ROOT.rglob("*.py"):
        if not skipped & set(path.relative_to(ROOT).parts):
            yield path


def _calls(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [node for node in ast.walk(tree) if isinstance(node, ast.Call)]


def test_listing_changed_is_sent_only_from_listings():
    senders = set()
    for path in _python_files():
        for call in _calls(path):
            func = call.func
            if (isinstance(func, ast.Attribute) and func.attr in ("send", "send_robust")
                    and isinstance(func.value, ast.Name) and func.value.id == "listing_changed"):
                senders.add(path.relative_to(ROOT).parts[0])
    assert senders == {"listings"}


def test_no_app_but_listings_writes_listing_rows_with_a_queryset_update():
    writers = set()
    for path in _python_files():
        if path.relative_to(ROOT).parts[0] == "listings":
            continue
        for call in _calls(path):
            source = ast.unparse(call.func)
            if source.startswith("Listing.objects") and source.endswith((".update", ".bulk_update", ".create")):
                writers.add(f"{path.relative_to(ROOT)}:{call.lineno}")
    assert writers == set()


def test_grading_and_certification_import_the_lifecycle_at_the_top_only():
    late = []
    for app in ("grading", "certification"):
        for path in (ROOT / app).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for function in (node for node in ast.walk(tree) if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)):
                for node in ast.walk(function):
                    if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("listings"):
                        names = {alias.name for alias in node.names}
                        if node.module == "listings.lifecycle" or "lifecycle" in names:
                            late.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert late == []
